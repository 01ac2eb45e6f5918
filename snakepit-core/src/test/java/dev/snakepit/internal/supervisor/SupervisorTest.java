package dev.snakepit.internal.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolStats;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.dispatch.PendingCall;
import dev.snakepit.internal.dispatch.WorkerSlot;
import dev.snakepit.internal.process.WorkerLimits;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import dev.snakepit.internal.protocol.FrameWriter;
import dev.snakepit.internal.protocol.Hello;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.ValueEncoder;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.WorkerEvent;
import dev.snakepit.testing.FakeClock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The control loop on its own: workers come from a spawner that starts no process, and whose fake
 * processes the test drives (ready, beating, exiting); time is a {@link FakeClock}, so a start
 * timeout, a heartbeat timeout, a backoff or a crash-loop hold is asserted at the millisecond before
 * it and at the moment it ends. The pool's tests cover the same ground with real Python workers.
 */
@Timeout(30)
class SupervisorTest {
  private static final int MAX_FRAME = 1 << 20;

  private final FakeClock clock = new FakeClock();
  private final Counters counters = new Counters();
  private final List<FakeProcess> spawned = new ArrayList<>();
  private final List<String> events = new ArrayList<>();
  /** When each spawn was asked for, in the clock's terms. */
  private final List<Long> attempts = new ArrayList<>();
  /** How many of the next spawns fail as a missing interpreter would. */
  private int failingSpawns;
  private Supervisor supervisor;

  @AfterEach
  void stopTheClock() {
    clock.executor().shutdownNow();
  }

  private Supervisor supervisor(UnaryOperator<PoolConfig.Builder> settings) {
    PoolConfig config = settings.apply(PoolConfig.builder("pkg.mod:Adapter").name("p")).build();
    PoolListener listener = new PoolListener() {
      @Override
      public void workerStart(WorkerEvent event) {
        events.add(event.workerId() + " started");
      }

      @Override
      public void workerStop(WorkerEvent event) {
        events.add(event.workerId() + " stopped: " + event.exit().poolReason());
      }

      @Override
      public void workerCrash(WorkerEvent event) {
        WorkerExit exit = event.exit();
        events.add(event.workerId() + " crashed: " + exit.cause() + (exit.poolReason() == null ? "" : " " + exit.poolReason()));
      }
    };
    supervisor = new Supervisor(config, loop -> this::spawn, WorkerLimits.none(), clock.executor(), clock,
        new Events("p", listener, clock), counters);
    return supervisor;
  }

  /** Starts a pool of {@code size} and makes every worker ready. */
  private Supervisor running(int size, UnaryOperator<PoolConfig.Builder> settings) throws Exception {
    supervisor(b -> settings.apply(b.size(size)));
    CompletableFuture<Void> started = supervisor.start();
    clock.runDue();
    for (int i = 0; i < size; i++) {
      spawned.get(i).ready();
    }
    assertThat(started).isCompleted();
    assertThat(supervisor.state()).isEqualTo(PoolStats.State.RUNNING);
    return supervisor;
  }

  private WorkerProcess spawn(String id, Spawner.Wiring wiring) throws IOException {
    attempts.add(clock.nanoTime());
    if (failingSpawns > 0) {
      failingSpawns--;
      events.add(id + " could not be spawned");
      throw new IOException("no such interpreter");
    }
    FakeProcess process = new FakeProcess(id, spawned.size() + 1, wiring);
    spawned.add(process);
    return process;
  }

  private FakeProcess worker(String id) {
    return spawned.stream().filter(p -> p.id.equals(id)).findFirst().orElseThrow();
  }

  private List<String> spawnedIds() {
    return spawned.stream().map(p -> p.id).toList();
  }

  @Test
  void thePoolRunsOnceItsLastWorkerIsReady() throws Exception {
    supervisor(b -> b.size(3));
    CompletableFuture<Void> started = supervisor.start();
    clock.runDue();
    assertThat(spawnedIds()).containsExactly("w1", "w2", "w3");

    worker("w1").ready();
    worker("w3").ready();
    assertThat(started).isNotDone();
    assertThat(supervisor.state()).isEqualTo(PoolStats.State.STARTING);
    assertThat(supervisor.stats().starting()).isEqualTo(1);

    worker("w2").ready();
    assertThat(started).isCompleted();
    assertThat(supervisor.state()).isEqualTo(PoolStats.State.RUNNING);
    assertThat(supervisor.stats().idle()).isEqualTo(3);
    assertThat(events).containsExactly("w1 started", "w3 started", "w2 started");
  }

  @Test
  void aWorkerNotReadyWithinTheStartTimeoutIsKilledAfterItsStacksAndTheStartFails() throws Exception {
    supervisor(b -> b.size(1).startTimeout(Duration.ofSeconds(2)));
    CompletableFuture<Void> started = supervisor.start();
    clock.runDue();
    FakeProcess w1 = worker("w1");

    clock.forward(Duration.ofMillis(1999));
    assertThat(w1.stackDumps).isZero();
    clock.forward(Duration.ofMillis(1));
    assertThat(w1.stackDumps).as("asked for its stacks at the timeout").isOne();
    assertThat(w1.killed).isFalse();

    clock.forward(Duration.ofMillis(199));
    assertThat(w1.killed).as("the stacks get 200 ms").isFalse();
    clock.forward(Duration.ofMillis(1));
    assertThat(w1.killed).isTrue();

    assertThat(started).isCompletedExceptionally();
    SnakepitException error = failure(started);
    assertThat(error.kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(error.getMessage()).contains("worker w1", "did not become ready within 2000 ms");
    assertThat(events).containsExactly("w1 crashed: KILLED_BY_POOL START_TIMEOUT");
    assertThat(spawnedIds()).as("a failed start is not retried").containsExactly("w1");
  }

  @Test
  void aWorkerSilentPastTheHeartbeatTimeoutIsKilledAndReplacedAtOnce() throws Exception {
    running(1, b -> b.heartbeatInterval(Duration.ofSeconds(1)).heartbeatTimeout(Duration.ofSeconds(5)));
    FakeProcess w1 = worker("w1");
    for (int second = 0; second < 3; second++) {
      w1.beat();
      clock.forward(Duration.ofSeconds(1));
    }
    w1.beat(); // the last one, at 3 s

    clock.forward(Duration.ofSeconds(5));
    assertThat(w1.stackDumps).as("5 s of silence is within the timeout").isZero();
    clock.forward(Duration.ofMillis(2));
    assertThat(w1.stackDumps).isOne();
    clock.forward(Duration.ofMillis(200));

    assertThat(w1.killed).isTrue();
    assertThat(events).containsExactly("w1 started", "w1 crashed: KILLED_BY_POOL HEARTBEAT");
    assertThat(spawnedIds()).as("a worker that had served is replaced without delay").containsExactly("w1", "w2");
    assertThat(counters.workersCrashed.sum()).isOne();
  }

  @Test
  void aShrinkStopsStartingWorkersFirstThenIdleOnesAndLetsTheBusyOneServeOn() throws Exception {
    running(3, UnaryOperator.identity());
    PendingCall call = supervisor.dispatcher().submit("echo", new ValueEncoder().encode(Map.of("tool", "echo")), null);
    FakeProcess busy = spawned.stream().filter(p -> p.sent().contains(FrameKind.CALL)).findFirst().orElseThrow();

    supervisor.resize(5);
    clock.runDue();
    assertThat(spawnedIds()).containsExactly("w1", "w2", "w3", "w4", "w5");

    supervisor.resize(4);
    clock.runDue();
    assertThat(spawned).filteredOn(p -> p.killed).extracting(p -> p.id).singleElement().isIn("w4", "w5");
    assertThat(spawned).filteredOn(p -> p.sent().contains(FrameKind.SHUTDOWN)).isEmpty();

    supervisor.resize(1);
    clock.runDue();
    assertThat(spawned).filteredOn(p -> p.killed).extracting(p -> p.id).containsExactlyInAnyOrder("w4", "w5");
    assertThat(spawned).filteredOn(p -> p.sent().contains(FrameKind.SHUTDOWN)).hasSize(2).doesNotContain(busy);
    assertThat(supervisor.dispatcher().running(busy.slot)).isTrue();
    assertThat(call.future()).isNotDone();
    assertThat(supervisor.targetSize()).isEqualTo(1);
  }

  @Test
  void aRecycledWorkerStopsOnlyOnceItsReplacementIsReady() throws Exception {
    running(1, UnaryOperator.identity());
    FakeProcess w1 = worker("w1");

    assertThat(supervisor.recycleWorker(w1.pid)).isTrue();
    clock.runDue();
    assertThat(spawnedIds()).containsExactly("w1", "w2");
    assertThat(w1.sent()).as("serving until its replacement is ready").doesNotContain(FrameKind.SHUTDOWN);
    assertThat(supervisor.stats().workers()).isEqualTo(2);

    worker("w2").ready();
    assertThat(w1.sent()).contains(FrameKind.SHUTDOWN);
    w1.exit(0);

    assertThat(events).containsExactly("w1 started", "w2 started", "w1 stopped: RECYCLE");
    assertThat(supervisor.stats().idle()).isOne();
    assertThat(counters.workersCrashed.sum()).isZero();
  }

  // A caller that took the worker just before it was retired may still be writing its call's frame:
  // a SHUTDOWN written at once could reach the worker first, and the worker would stop without it.
  @Test
  void aRecycledWorkerIsSentShutdownOnlyOnceItHasAnsweredTheCallItWasGiven() throws Exception {
    running(1, UnaryOperator.identity());
    FakeProcess w1 = worker("w1");
    PendingCall call = supervisor.dispatcher().submit("echo", new ValueEncoder().encode(Map.of("tool", "echo")), null);
    supervisor.recycleWorker(w1.pid);
    clock.runDue();

    worker("w2").ready();
    assertThat(w1.sent()).containsExactly(FrameKind.CALL);

    long requestId = w1.frames().getFirst().requestId();
    supervisor.dispatcher().onReply(w1.slot, new Frame(FrameKind.RESULT, requestId,
        new ValueEncoder().encode(Map.of("value", "done")).jsonBytes()));
    clock.runDue();
    assertThat(call.future()).isCompletedWithValue("done");
    assertThat(w1.sent()).containsExactly(FrameKind.CALL, FrameKind.SHUTDOWN);
    w1.exit(0);
    assertThat(events).containsExactly("w1 started", "w2 started", "w1 stopped: RECYCLE");
  }

  @Test
  void whenTheReplacementOfARecycledWorkerDiesTheOldOneServesOnAndTheRecycleIsRetried() throws Exception {
    running(1, b -> b.recycleAfterAge(Duration.ofHours(1)).recycleJitter(0));
    FakeProcess w1 = worker("w1");
    supervisor.recycleWorker(w1.pid);
    clock.runDue();

    worker("w2").exit(1); // dies before it is ready
    assertThat(w1.sent()).doesNotContain(FrameKind.SHUTDOWN);
    assertThat(supervisor.stats().idle()).as("the old worker still takes calls").isOne();
    assertThat(spawnedIds()).as("no plain replacement: the pool is at its size").containsExactly("w1", "w2");

    clock.forward(Duration.ofMillis(250)); // the next recycling check
    assertThat(spawnedIds()).containsExactly("w1", "w2", "w3");
    worker("w3").ready();
    assertThat(w1.sent()).contains(FrameKind.SHUTDOWN);
    w1.exit(0);

    assertThat(events).containsExactly("w1 started", "w2 crashed: EXITED", "w3 started", "w1 stopped: RECYCLE");
    assertThat(counters.recycles()).containsEntry(dev.snakepit.RecycleReason.REQUESTED, 1L);
  }

  @Test
  void aWorkerThatCannotBeSpawnedIsRetriedWithGrowingBackoffUntilOneStarts() throws Exception {
    running(1, UnaryOperator.identity());
    failingSpawns = 2;
    worker("w1").exit(1); // served, then died: replaced at once, but the spawn fails

    assertThat(events).containsExactly("w1 started", "w1 crashed: EXITED", "w2 could not be spawned");
    clock.forward(Duration.ofMillis(79));
    assertThat(attempts).as("w1's spawn and w2's").hasSize(2);
    clock.forward(Duration.ofMillis(400));
    assertThat(events).endsWith("w2 could not be spawned", "w3 could not be spawned");
    assertThat(spawnedIds()).containsExactly("w1", "w4");

    // 100 ms after the first failed start, then 200 ms after the second, each +-20%.
    long first = attempts.get(2) - attempts.get(1);
    long second = attempts.get(3) - attempts.get(2);
    assertThat(Duration.ofNanos(first)).isBetween(Duration.ofMillis(80), Duration.ofMillis(120));
    assertThat(Duration.ofNanos(second)).isBetween(Duration.ofMillis(160), Duration.ofMillis(240));

    worker("w4").ready();
    assertThat(supervisor.stats().idle()).isOne();
  }

  @Test
  void threeCrashesInTheWindowHoldTheNextReplacementUntilTheFirstLeavesIt() throws Exception {
    running(1, b -> b.crashLoop(3, Duration.ofSeconds(8)));
    worker("w1").exit(1);
    worker("w2").ready();
    clock.forward(Duration.ofSeconds(1));
    worker("w2").exit(1);
    worker("w3").ready();
    clock.forward(Duration.ofSeconds(1));
    worker("w3").exit(1); // the third crash, 2 s after the first

    assertThat(supervisor.crashLooping()).isTrue();
    assertThat(supervisor.stats().healthy()).isFalse();
    clock.forward(Duration.ofMillis(5999));
    assertThat(spawnedIds()).as("held until 8 s after the first crash").containsExactly("w1", "w2", "w3");

    clock.forward(Duration.ofMillis(1));
    assertThat(spawnedIds()).containsExactly("w1", "w2", "w3", "w4");
    assertThat(supervisor.crashLooping()).isFalse();
    worker("w4").ready();
    assertThat(supervisor.stats().healthy()).isTrue();
  }

  @Test
  void aResizeWhileAReplacementIsHeldStartsExactlyTheMissingWorkersWhenTheHoldEnds() throws Exception {
    running(2, b -> b.crashLoop(1, Duration.ofSeconds(8)));
    worker("w1").exit(1);
    assertThat(supervisor.crashLooping()).isTrue();

    supervisor.resize(3);
    clock.runDue();
    assertThat(spawnedIds()).as("still held").containsExactly("w1", "w2");
    clock.forward(Duration.ofSeconds(8));

    assertThat(spawnedIds()).containsExactly("w1", "w2", "w3", "w4");
    assertThat(supervisor.stats().workers()).isEqualTo(3);
    assertThat(counters.workersReplaced.sum()).as("not yet ready").isZero();
    worker("w3").ready();
    worker("w4").ready();
    assertThat(counters.workersReplaced.sum()).as("one of them replaces w1").isOne();
  }

  @Test
  void aShrinkWhileAReplacementIsHeldKeepsTheWorkerThatServesAndStartsNothing() throws Exception {
    running(2, b -> b.crashLoop(1, Duration.ofSeconds(8)));
    worker("w1").exit(1);

    supervisor.resize(1);
    clock.runDue();
    clock.forward(Duration.ofSeconds(8));

    assertThat(worker("w2").sent()).doesNotContain(FrameKind.SHUTDOWN);
    assertThat(spawnedIds()).containsExactly("w1", "w2");
    assertThat(supervisor.stats().idle()).isOne();
  }

  @Test
  void stoppingThePoolAsksReadyWorkersToShutDownAndKillsStartingOnes() throws Exception {
    running(2, UnaryOperator.identity());
    supervisor.resize(3);
    clock.runDue();

    CompletableFuture<Void> stopped = supervisor.stopAll("pool closing");
    clock.runDue();
    assertThat(worker("w1").sent()).contains(FrameKind.SHUTDOWN);
    assertThat(worker("w2").sent()).contains(FrameKind.SHUTDOWN);
    assertThat(worker("w3").killed).isTrue();
    assertThat(stopped).isNotDone();

    worker("w1").exit(0);
    worker("w2").exit(0);
    assertThat(stopped).isCompleted();
    assertThat(spawnedIds()).as("nothing is replaced while closing").containsExactly("w1", "w2", "w3");
    assertThat(events).containsExactly("w1 started", "w2 started", "w3 stopped: SHUTDOWN", "w1 stopped: SHUTDOWN",
        "w2 stopped: SHUTDOWN");
  }

  private static SnakepitException failure(CompletableFuture<?> future) throws InterruptedException {
    try {
      future.get();
      throw new AssertionError("the future did not fail");
    } catch (ExecutionException e) {
      return (SnakepitException) e.getCause();
    }
  }

  /** A worker process that is never started: the test says when it is ready, beats and exits. */
  private final class FakeProcess implements WorkerProcess {
    final String id;
    final long pid;
    final Spawner.Wiring wiring;
    final CompletableFuture<Integer> exited = new CompletableFuture<>();
    /** Everything the pool wrote on the worker's data plane. */
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    WorkerSlot slot;
    int stackDumps;
    boolean killed;
    long beats;

    FakeProcess(String id, int number, Spawner.Wiring wiring) {
      this.id = id;
      this.pid = 20_000 + 2L * number;
      this.wiring = wiring;
    }

    /** The worker passes its handshake. */
    void ready() {
      ControlChannel control = new ControlChannel(InputStream.nullInputStream(), OutputStream.nullOutputStream(), MAX_FRAME, null, null);
      slot = new WorkerSlot(id, pid, FrameWriter.toStream(data, MAX_FRAME), control);
      wiring.reports().ready(slot, new Hello(pid, "3.11.7", false, List.of(), List.of(Messages.PROTOCOL), List.of()));
      clock.runDue();
    }

    /** The worker sends a HEARTBEAT. */
    void beat() {
      wiring.reports().heartbeat(++beats, -1);
    }

    /** The worker exits with {@code status}, and its output ends. */
    void exit(int status) {
      exited.complete(status);
      clock.runDue();
    }

    /** The kinds of the frames the pool wrote to the worker. */
    List<FrameKind> sent() {
      return frames().stream().map(Frame::kind).toList();
    }

    /** The frames the pool wrote to the worker. */
    List<Frame> frames() {
      List<Frame> frames = new ArrayList<>();
      FrameReader reader = new FrameReader(new ByteArrayInputStream(data.toByteArray()), MAX_FRAME);
      try {
        for (Frame frame; (frame = reader.read()) != null; ) {
          frames.add(frame);
        }
      } catch (IOException e) {
        throw new AssertionError("the pool wrote a malformed frame", e);
      }
      return frames;
    }

    @Override
    public long keeperPid() {
      return pid - 1;
    }

    @Override
    public long forkedChild() {
      return 0;
    }

    @Override
    public CompletableFuture<Integer> exited() {
      return exited;
    }

    @Override
    public CompletableFuture<Void> outputEnded() {
      return exited.thenApply(status -> null);
    }

    @Override
    public String stderrTail() {
      return "";
    }

    @Override
    public boolean dumpStacks(long pid) {
      stackDumps++;
      return true;
    }

    @Override
    public void killTree(long pid) {
      killed = true;
      exited.complete(128 + 9);
    }

    @Override
    public void killLeftovers(long pid) {}

    @Override
    public void closeChannels() {}

    @Override
    public void forget() {}

    @Override
    public long residentBytes() {
      return 0;
    }

    @Override
    public List<Thread> threads() {
      return List.of();
    }
  }
}
