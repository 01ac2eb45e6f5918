package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.internal.process.ProcStat;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Streamed results against real workers: items in order, credit that holds a generator still while
 * its consumer does not read, closing early, the ways a stream fails, timeouts, the Flow adapter, and
 * streams in sessions.
 */
@PoolTest
class StreamTest {
  private static final String ADAPTER = "pooltests.streams:StreamAdapter";
  private static Snakepit python;

  @BeforeAll
  static void start() {
    python = TestPools.start(TestPools.builder(ADAPTER, "streams").size(1).cancelGrace(Duration.ofSeconds(5)));
  }

  @AfterAll
  static void stop() {
    python.close();
  }

  @BeforeEach
  void reset() {
    await().atMost(Duration.ofSeconds(20)).until(() -> python.stats().idle() == 1);
    python.execute("reset", Map.of());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> state() {
    return (Map<String, Object>) python.execute("state", Map.of());
  }

  private static List<Object> drain(CallStream stream) {
    List<Object> items = new ArrayList<>();
    stream.forEachRemaining(items::add);
    return items;
  }

  @Test
  void aGeneratorStreamsItsItemsInOrderAndAPlainCallGetsThemAsAList() {
    long succeeded = python.stats().callsSucceeded();
    try (CallStream stream = python.stream(Call.of("count").withArg("n", 5))) {
      assertThat(stream.tool()).isEqualTo("count");
      assertThat(drain(stream)).containsExactly(0L, 1L, 2L, 3L, 4L);
      assertThat(stream.hasNext()).isFalse();
      assertThat(stream.delivered()).isEqualTo(5);
      assertThatThrownBy(stream::next).isInstanceOf(NoSuchElementException.class).hasMessageContaining("5 delivered");
    }
    assertThat(state()).containsEntry("produced", 5L).containsEntry("closed", 1L);
    assertThat(python.execute("count", Map.of("n", 3))).isEqualTo(List.of(0L, 1L, 2L));
    assertThat(python.stats().callsSucceeded()).as("a stream counts as one call").isEqualTo(succeeded + 3);
    assertThat(python.tool("count").orElseThrow().streams()).isTrue();
    assertThat(python.tool("single").orElseThrow().streams()).isFalse();
  }

  @Test
  void asyncGeneratorsStreamAndAPlainToolIsAStreamOfOne() {
    try (CallStream stream = python.stream(Call.of("acount").withArg("n", 3), StreamOptions.defaults().withCredit(1))) {
      assertThat(drain(stream)).containsExactly(Map.of("i", 0L, "square", 0L), Map.of("i", 1L, "square", 1L),
          Map.of("i", 2L, "square", 4L));
    }
    try (CallStream stream = python.stream(Call.of("single"))) {
      assertThat(drain(stream)).containsExactly("just one");
    }
  }

  @Test
  void aJavaStreamOverTheItemsClosesTheCallWhenItIsClosed() {
    List<Object> first;
    try (java.util.stream.Stream<Object> items = python.stream(Call.of("endless")).stream()) {
      first = items.limit(10).collect(Collectors.toList());
    }
    assertThat(first).hasSize(10).first().isEqualTo(0L);
    assertThat(state()).as("the generator was closed in the worker").containsEntry("closed", 1L);
  }

  @Test
  void aConsumerThatStopsReadingHoldsTheGeneratorAtItsCreditAndTheWorkersMemoryFlat() {
    long pid = python.workerPids().getFirst();
    int size = 4 << 20;
    try (CallStream stream = python.stream(Call.of("endless").withArg("size", size), StreamOptions.defaults().withCredit(4))) {
      assertThat((byte[]) stream.next()).hasSize(size);
      assertThat((byte[]) stream.next()).hasSize(size);
      long before = ProcStat.treeResidentBytes(pid);
      // Unread: were items sent without credit, the worker would go on making 4 MiB items as fast as the
      // JVM took them in.
      await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
          .until(() -> ProcStat.treeResidentBytes(pid) < before + 3L * size);
    }
    Map<String, Object> state = state();
    assertThat((Long) state.get("produced")).as("two taken, two returned as credit, four granted at first").isLessThanOrEqualTo(6L);
    assertThat(state.get("closed")).isEqualTo(1L);
  }

  @Test
  void closingAStreamEarlyClosesTheGeneratorWithinTheCancelGraceAndTheWorkerServesOn() {
    long pid = python.workerPids().getFirst();
    long replaced = python.stats().workersReplaced();
    CallStream stream = python.stream(Call.of("endless"));
    assertThat(List.of(stream.next(), stream.next(), stream.next())).containsExactly(0L, 1L, 2L);
    assertThat(python.stats().streams()).isEqualTo(1);
    assertThat(python.stats().describe()).contains("streams=1");
    stream.close();
    stream.close();
    assertThat(stream.hasNext()).isFalse();
    assertThat(state()).containsEntry("closed", 1L);
    assertThat(python.stats().streams()).isZero();
    assertThat(python.workerPids()).containsExactly(pid);
    assertThat(python.stats().workersReplaced()).isEqualTo(replaced);
  }

  @Test
  void aFailingGeneratorEndsItsStreamWithItsExceptionAfterItsItems() {
    try (CallStream stream = python.stream(Call.of("fail_after").withArg("n", 3))) {
      assertThat(List.of(stream.next(), stream.next(), stream.next())).containsExactly(0L, 1L, 2L);
      SnakepitException e = catchThrowableOfType(SnakepitException.class, stream::hasNext);
      assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
      assertThat(e.getMessage()).contains("ValueError: the source ran dry after 3 items");
      assertThat(e.pythonError().orElseThrow().traceback()).contains("fail_after");
      assertThatThrownBy(stream::hasNext).as("and again").isSameAs(e);
    }
    try (CallStream stream = python.stream(Call.of("unsendable_after").withArg("n", 2))) {
      assertThat(List.of(stream.next(), stream.next())).containsExactly(0L, 1L);
      assertThatThrownBy(stream::next).isInstanceOfSatisfying(SnakepitException.class, e -> {
        assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
        assertThat(e.getMessage()).contains("an item of the stream of 'unsendable_after' cannot be serialized");
      });
    }
  }

  @Test
  void aWorkerThatDiesMidStreamEndsItWithWorkerCrashedAfterTheItemsDelivered() {
    try (CallStream stream = python.stream(Call.of("die_after").withArg("n", 3))) {
      assertThat(List.of(stream.next(), stream.next(), stream.next())).containsExactly(0L, 1L, 2L);
      SnakepitException e = catchThrowableOfType(SnakepitException.class, stream::hasNext);
      assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(e.workerExit().orElseThrow().exitCode()).isEqualTo(3);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> python.stats().idle() == 1);
    assertThat(drain(python.stream(Call.of("count").withArg("n", 2)))).containsExactly(0L, 1L);
  }

  @Test
  void anItemTimeoutFailsTheStreamAndCancelsTheCall() {
    StreamOptions options = StreamOptions.defaults().withItemTimeout(Duration.ofMillis(300));
    try (CallStream stream = python.stream(Call.of("slow_after").withArg("n", 2).withArg("seconds", 30), options)) {
      assertThat(List.of(stream.next(), stream.next())).containsExactly(0L, 1L);
      SnakepitException e = catchThrowableOfType(SnakepitException.class, stream::hasNext);
      assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertThat(e.getMessage()).contains("no item of the stream of tool 'slow_after' came within PT0.3S")
          .contains("after 2 items").contains("the call was cancelled");
    }
    assertThat(state()).as("the cancel interrupted the sleep and closed the generator").containsEntry("closed", 1L);
  }

  @Test
  void theCallsTimeoutBoundsTheWholeStream() {
    try (CallStream stream = python.stream(Call.of("endless").withTimeout(Duration.ofMillis(400)))) {
      SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> drain(stream));
      assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertThat(e.getMessage()).contains("timed out after 400 ms");
      assertThat(stream.delivered()).isPositive();
    }
  }

  @Test
  void interruptingTheReaderCancelsTheCall() throws Exception {
    CompletableFuture<SnakepitException> failure = new CompletableFuture<>();
    CountDownLatch reading = new CountDownLatch(1);
    Thread reader = Thread.ofPlatform().start(() -> {
      try (CallStream stream = python.stream(Call.of("slow_after").withArg("n", 1).withArg("seconds", 30))) {
        stream.next();
        reading.countDown();
        stream.hasNext();
      } catch (SnakepitException e) {
        failure.complete(e);
      }
    });
    assertThat(reading.await(20, TimeUnit.SECONDS)).isTrue();
    reader.interrupt();
    assertThat(failure.get(20, TimeUnit.SECONDS).kind()).isEqualTo(ErrorKind.CANCELLED);
    reader.join(TimeUnit.SECONDS.toMillis(20));
    assertThat(state()).containsEntry("closed", 1L);
  }

  @Test
  void aPublisherPacesTheGeneratorByDemandAndCancelsOnCancel() throws Exception {
    Collector all = new Collector(1, Long.MAX_VALUE);
    python.publisher(Call.of("count").withArg("n", 5), StreamOptions.defaults()).subscribe(all);
    assertThat(all.done.get(20, TimeUnit.SECONDS)).isEqualTo("complete");
    assertThat(all.items).containsExactly(0L, 1L, 2L, 3L, 4L);

    Collector two = new Collector(2, 2);
    python.publisher(Call.of("endless"), StreamOptions.defaults().withCredit(2)).subscribe(two);
    assertThat(two.done.get(20, TimeUnit.SECONDS)).isEqualTo("cancelled");
    assertThat(two.items).containsExactly(0L, 1L);
    assertThat(state()).as("both generators were closed").containsEntry("closed", 2L);

    Collector bad = new Collector(0, 1);
    python.publisher(Call.of("count").withArg("n", 5), StreamOptions.defaults()).subscribe(bad);
    assertThat(bad.done.get(20, TimeUnit.SECONDS)).contains("IllegalArgumentException").contains("rule 3.9");
  }

  @Test
  void aSessionsStreamRunsInItsSessionAndFailsWithSessionLostWhenItsWorkerDies() {
    try (Session session = python.openSession()) {
      try (CallStream stream = session.stream(Call.of("session_ids").withArg("n", 3))) {
        assertThat(drain(stream)).containsExactly(session.id(), session.id(), session.id());
      }
      try (CallStream stream = session.stream(Call.of("die_after").withArg("n", 1))) {
        assertThat(stream.next()).isEqualTo(0L);
        assertThatThrownBy(stream::hasNext).isInstanceOfSatisfying(SnakepitException.class,
            e -> assertThat(e.kind()).isEqualTo(ErrorKind.SESSION_LOST));
      }
      assertThat(session.isOpen()).isFalse();
    }
  }

  @Test
  void tenThousandStreamsOpenedAndClosedLeaveTheWorkerServingAndNothingBehind() {
    long pid = python.workerPids().getFirst();
    for (int i = 0; i < 10_000; i++) {
      try (CallStream stream = python.stream(Call.of("count").withArg("n", 4), StreamOptions.defaults().withCredit(2))) {
        assertThat(stream.next()).isEqualTo(0L);
        if (i % 10 == 0) {
          assertThat(drain(stream)).containsExactly(1L, 2L, 3L);
        }
      }
    }
    assertThat(state()).containsEntry("closed", 10_000L);
    assertThat(python.workerPids()).containsExactly(pid);
    assertThat(python.stats().busy()).isZero();
  }

  @Test
  void misuseFailsAtOnceAndNamesTheRule() {
    assertThatThrownBy(() -> python.stream(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("Snakepit.stream: call must not be null");
    assertThatThrownBy(() -> StreamOptions.defaults().withCredit(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("StreamOptions.credit = 0 is invalid: it must be 1 to 65536");
    assertThatThrownBy(() -> StreamOptions.defaults().withItemTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("StreamOptions.itemTimeout = PT-1S is invalid");
    assertThatThrownBy(() -> python.stream(Call.of("nope"))).isInstanceOfSatisfying(SnakepitException.class,
        e -> assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST));
  }

  /** Requests {@code batch} items at a time until it holds {@code limit}, then cancels. */
  private static final class Collector implements Flow.Subscriber<Object> {
    final List<Object> items = new ArrayList<>();
    final CompletableFuture<String> done = new CompletableFuture<>();
    private final long batch;
    private final long limit;
    private Flow.Subscription subscription;

    Collector(long batch, long limit) {
      this.batch = batch;
      this.limit = limit;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(batch);
    }

    @Override
    public void onNext(Object item) {
      items.add(item);
      if (items.size() >= limit) {
        subscription.cancel();
        done.complete("cancelled");
      } else if (items.size() % batch == 0) {
        subscription.request(batch);
      }
    }

    @Override
    public void onError(Throwable error) {
      done.complete(error.toString());
    }

    @Override
    public void onComplete() {
      done.complete("complete");
    }
  }
}
