package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.WorkerEvent;
import dev.snakepit.testing.LogCapture;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.RecordingListener.Recorded;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The PoolListener SPI: paired call, checkout and worker events, and a listener that throws. */
@PoolTest
class ListenerTest {
  private static final Set<String> CALL_ENDS = Set.of("callStop", "callException");
  private static final Set<String> CHECKOUT_ENDS = Set.of("checkoutStop", "checkoutException");

  private static final RecordingListener events = new RecordingListener();
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("listener").size(2).acquireTimeout(Duration.ofMillis(300)).listener(events));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @BeforeEach
  void poolIsSettled() {
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 2);
  }

  @Test
  void aCallsClosingEventIsDeliveredBeforeItsCallerHasTheResult() {
    pool.execute("echo", Map.of("value", "marker-1"));

    Recorded start = events.ofType("callStart").getLast();
    assertThat(start.call().tool()).isEqualTo("echo");
    assertThat(events.eventsOfCall(start.call().callId())).extracting(Recorded::type).contains("callStop");
  }

  @Test
  void everyCallHasOneStartThenExactlyOneStopOrExceptionWithTheSameIdAndTool() {
    int before = events.events().size();
    pool.execute("add", Map.of("a", 1));
    catchThrowableOfType(SnakepitException.class, () -> pool.execute("fail", Map.of()));
    catchThrowableOfType(SnakepitException.class,
        () -> pool.execute(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofMillis(200))));
    CompletableFuture<Object> cancelled = pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
    cancelled.cancel(true);
    // Late replies to the timed-out and the cancelled call end with a check-in; wait for them.
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 2);

    Map<Long, List<Recorded>> byCall = events.events().subList(before, events.events().size()).stream()
        .filter(e -> e.call() != null)
        .collect(Collectors.groupingBy(e -> e.call().callId()));

    assertThat(byCall).hasSize(4);
    byCall.forEach((callId, ofCall) -> assertPairedCallEvents(ofCall));
    assertThat(byCall.values()).extracting(ofCall -> ofCall.stream().filter(e -> CALL_ENDS.contains(e.type()))
            .map(e -> e.error() == null ? "ok" : e.error().kind().name()).findFirst().orElseThrow())
        .containsExactlyInAnyOrder("ok", "PYTHON_EXCEPTION", "TIMEOUT", "CANCELLED");
  }

  @Test
  void aCallThatGetsNoWorkerEndsItsCheckoutWithAnException() {
    List<CompletableFuture<Object>> occupying = List.of(
        pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20))),
        pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20))));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 2);

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ping", Map.of()));

    Recorded start = events.ofType("callStart").getLast();
    assertThat(start.call().tool()).isEqualTo("ping");
    List<Recorded> ofCall = events.eventsOfCall(start.call().callId());
    assertThat(ofCall).extracting(Recorded::type).containsExactly("callStart", "checkoutStart", "checkoutException", "callException");
    assertThat(ofCall.get(2).error()).isSameAs(e);
    assertThat(ofCall.get(3).error()).isSameAs(e);
    assertThat(ofCall.get(3).call().elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(250));
    occupying.forEach(call -> call.cancel(true));
  }

  @Test
  void workerEventsPairEachStartWithOneCrashOrStop() {
    RecordingListener lifecycle = new RecordingListener();
    Snakepit own = TestPools.start(TestPools.testAdapter("listener-workers").size(2).listener(lifecycle));
    List<Long> initial = own.workerPids();
    assertThat(lifecycle.ofType("workerStart")).extracting(e -> e.worker().pid()).containsExactlyInAnyOrderElementsOf(initial);

    long victim = initial.getFirst();
    ProcessHandle.of(victim).orElseThrow().destroyForcibly();
    await().atMost(Duration.ofSeconds(15)).until(() -> lifecycle.ofType("workerStart").size() == 3 && own.stats().idle() == 2);
    own.close();

    List<Recorded> all = lifecycle.events().stream().filter(e -> e.worker() != null).toList();
    Map<String, List<Recorded>> byWorker = all.stream().collect(Collectors.groupingBy(e -> e.worker().workerId()));
    assertThat(byWorker).hasSize(3);
    byWorker.forEach((id, ofWorker) -> {
      assertThat(ofWorker).as(id).hasSize(2);
      assertThat(ofWorker.get(0).type()).as(id).isEqualTo("workerStart");
      assertThat(ofWorker.get(1).type()).as(id).isIn("workerStop", "workerCrash");
      WorkerEvent start = ofWorker.get(0).worker();
      WorkerEvent end = ofWorker.get(1).worker();
      assertThat(start.pool()).isEqualTo("listener-workers");
      assertThat(start.reason()).isNull();
      assertThat(start.exit()).isNull();
      assertThat(end.pid()).isEqualTo(start.pid());
      assertThat(end.uptime()).isGreaterThan(start.uptime());
      assertThat(end.exit()).isNotNull();
      assertThat(end.reason()).isNotBlank();
    });
    Recorded crash = lifecycle.ofType("workerCrash").getFirst();
    assertThat(lifecycle.ofType("workerCrash")).hasSize(1);
    assertThat(crash.worker().pid()).isEqualTo(victim);
    assertThat(crash.worker().exit().signal()).isEqualTo("SIGKILL");
    assertThat(lifecycle.ofType("workerStop")).hasSize(2).allSatisfy(stop -> {
      assertThat(stop.worker().reason()).isEqualTo("pool closed");
      assertThat(stop.worker().exit().exitCode()).isZero();
      assertThat(stop.worker().exit().cause()).isEqualTo(WorkerExit.Cause.STOPPED_BY_POOL);
      assertThat(stop.worker().exit().poolReason()).isEqualTo(WorkerExit.PoolReason.SHUTDOWN);
    });
  }

  @Test
  void aListenerThatThrowsBreaksNeitherCallsNorWorkers() {
    PoolListener throwing = new PoolListener() {
      @Override
      public void callStart(CallEvent event) {
        throw new IllegalStateException("listener bug in callStart");
      }

      @Override
      public void callStop(CallEvent event) {
        throw new IllegalStateException("listener bug in callStop");
      }

      @Override
      public void callException(CallEvent event, SnakepitException error) {
        throw new IllegalStateException("listener bug in callException");
      }

      @Override
      public void checkoutStop(CallEvent event) {
        throw new IllegalStateException("listener bug in checkoutStop");
      }

      @Override
      public void workerStart(WorkerEvent event) {
        throw new IllegalStateException("listener bug in workerStart");
      }

      @Override
      public void workerCrash(WorkerEvent event) {
        throw new IllegalStateException("listener bug in workerCrash");
      }

      @Override
      public void workerStop(WorkerEvent event) {
        throw new IllegalStateException("listener bug in workerStop");
      }
    };
    try (LogCapture warnings = LogCapture.attach("dev.snakepit.internal.Events", Level.WARN)) {
      try (Snakepit own = TestPools.start(TestPools.testAdapter("listener-throws").listener(throwing))) {
        assertThat(own.execute("add", Map.of("a", 1))).isEqualTo(3L);
        assertThat(catchThrowableOfType(SnakepitException.class, () -> own.execute("fail", Map.of())).kind())
            .isEqualTo(ErrorKind.PYTHON_EXCEPTION);
        long victim = own.workerPids().getFirst();
        ProcessHandle.of(victim).orElseThrow().destroyForcibly();
        await().atMost(Duration.ofSeconds(15)).until(() -> !own.workerPids().contains(victim) && own.stats().idle() == 1);
        assertThat(own.execute("add", Map.of("a", 2))).isEqualTo(4L);
      }

      assertThat(warnings.events()).isNotEmpty().allSatisfy(event -> {
        assertThat(event.getFormattedMessage())
            .matches("PoolListener dev\\.snakepit\\.ListenerTest\\$\\d+ of pool 'listener-throws' threw; the event is dropped");
        assertThat(event.getThrowableProxy().getMessage()).startsWith("listener bug in ");
      });
    }
  }

  /** One call's events, in delivery order. */
  private static void assertPairedCallEvents(List<Recorded> ofCall) {
    List<String> types = ofCall.stream().map(Recorded::type).toList();
    String tool = ofCall.getFirst().call().tool();
    assertThat(ofCall).as(types.toString()).allSatisfy(e -> assertThat(e.call().tool()).isEqualTo(tool));
    assertThat(types.getFirst()).as(types.toString()).isEqualTo("callStart");
    assertThat(ofCall.getFirst().call().workerId()).isNull();
    assertThat(types.stream().filter(CALL_ENDS::contains)).as(types.toString()).hasSize(1);
    assertThat(types.stream().filter("checkoutStart"::equals)).as(types.toString()).hasSize(1);
    assertThat(types.stream().filter(CHECKOUT_ENDS::contains)).as(types.toString()).hasSize(1);
    assertThat(types.indexOf("checkoutStart")).as(types.toString())
        .isLessThan(types.indexOf(types.stream().filter(CHECKOUT_ENDS::contains).findFirst().orElseThrow()));
    int checkoutStop = types.indexOf("checkoutStop");
    if (checkoutStop >= 0) {
      String worker = ofCall.get(checkoutStop).call().workerId();
      assertThat(worker).isNotNull();
      Recorded end = ofCall.stream().filter(e -> CALL_ENDS.contains(e.type())).findFirst().orElseThrow();
      assertThat(end.call().workerId()).isEqualTo(worker);
      assertThat(types.indexOf(end.type())).isGreaterThan(checkoutStop);
      assertThat(types.stream().filter("checkin"::equals)).as(types.toString()).hasSizeLessThanOrEqualTo(1);
    } else {
      assertThat(types).as(types.toString()).doesNotContain("checkin");
    }
  }
}
