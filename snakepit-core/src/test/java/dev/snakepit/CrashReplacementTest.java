package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.BlockedCommonPool;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A worker that dies is replaced, its call fails with the reason, and nothing else is disturbed. */
@PoolTest
class CrashReplacementTest {
  private static final int SIZE = 3;

  private static final RecordingListener events = new RecordingListener();
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("crash").size(SIZE).listener(events));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @BeforeEach
  void poolIsFull() {
    await().atMost(Duration.ofSeconds(15)).until(() -> pool.stats().idle() == SIZE && pool.workerPids().size() == SIZE);
  }

  @Test
  void aWorkerKilledWhileIdleIsReplacedAndThePoolServesAtFullSize() {
    PoolStats before = pool.stats();
    long victim = pool.workerPids().getFirst();

    assertThat(ProcessHandle.of(victim).orElseThrow().destroyForcibly()).isTrue();

    await().atMost(Duration.ofSeconds(15)).until(() -> !pool.workerPids().contains(victim)
        && pool.workerPids().size() == SIZE && pool.stats().idle() == SIZE);
    PoolStats after = pool.stats();
    assertThat(after.workersCrashed()).isEqualTo(before.workersCrashed() + 1);
    assertThat(after.workersReplaced()).isEqualTo(before.workersReplaced() + 1);
    assertThat(after.workers()).isEqualTo(SIZE);
    assertThat(after.healthy()).isTrue();
    assertThat(events.ofType("workerCrash")).anySatisfy(crash -> {
      assertThat(crash.worker().pid()).isEqualTo(victim);
      assertThat(crash.worker().exit().signal()).isEqualTo("SIGKILL");
      assertThat(crash.worker().exit().cause()).isEqualTo(WorkerExit.Cause.SIGNALED);
      assertThat(crash.worker().exit().poolReason()).isNull();
      assertThat(crash.worker().reason()).contains("killed by SIGKILL");
    });
    assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
  }

  @Test
  void aWorkerKilledDuringACallFailsItWithWorkerCrashedNamingTheSignal() {
    long replaced = pool.stats().workersReplaced();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("crash", Map.of()));

    assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    assertThat(e.retry()).isEqualTo(ErrorKind.Retry.IF_IDEMPOTENT);
    assertThat(e.tool()).contains("crash");
    WorkerExit exit = e.workerExit().orElseThrow();
    assertThat(exit.signal()).isEqualTo("SIGKILL");
    assertThat(exit.exitCode()).isEqualTo(-1);
    assertThat(e.getMessage()).contains("worker " + e.workerId().orElseThrow(), "pid " + exit.pid(), "pool 'crash'",
        "died while running tool 'crash'", "killed by SIGKILL");
    assertThat(Processes.isRunning(exit.pid())).isFalse();
    await().atMost(Duration.ofSeconds(15)).until(() -> pool.stats().workersReplaced() == replaced + 1);
  }

  @Test
  void aWorkerKilledDuringACallWhileEveryThreadOfTheCommonPoolIsBlockedFailsItAndIsReplaced() {
    long replaced = pool.stats().workersReplaced();

    BlockedCommonPool blocked = BlockedCommonPool.block();
    try {
      long started = System.nanoTime();
      SnakepitException e = catchThrowableOfType(SnakepitException.class,
          () -> pool.execute(Call.of("crash").withTimeout(Duration.ofSeconds(20))));

      assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(e.workerExit().orElseThrow().signal()).isEqualTo("SIGKILL");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
      await().atMost(Duration.ofSeconds(15)).until(() -> pool.stats().workersReplaced() == replaced + 1
          && pool.stats().idle() == SIZE);
    } finally {
      blocked.close();
    }
  }

  @Test
  void aWorkerExitingDuringACallFailsItWithItsExitCodeAndStderrTail() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute("die_noisily", Map.of("message", "out of memory, giving up", "code", 7)));

    assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    WorkerExit exit = e.workerExit().orElseThrow();
    assertThat(exit.exitCode()).isEqualTo(7);
    assertThat(exit.signal()).isNull();
    assertThat(exit.cause()).isEqualTo(WorkerExit.Cause.EXITED);
    assertThat(exit.stderrTail()).contains("out of memory, giving up");
    assertThat(e.getMessage()).contains("exit code 7", "stderr tail:", "out of memory, giving up");
  }

  @Test
  void callsOnOtherWorkersSucceedWhileOneCrashes() throws Exception {
    List<CompletableFuture<Object>> running = List.of(
        pool.executeAsync(Call.of("sleep").withArg("seconds", 1.0).withTimeout(Duration.ofSeconds(20))),
        pool.executeAsync(Call.of("sleep").withArg("seconds", 1.0).withTimeout(Duration.ofSeconds(20))));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 2);

    CompletableFuture<Object> crashing = pool.executeAsync("crash", Map.of());
    List<CompletableFuture<Object>> burst = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      burst.add(pool.executeAsync("echo", Map.of("value", i)));
    }

    SnakepitException crashed = catchThrowableOfType(SnakepitException.class, () -> {
      try {
        crashing.get(20, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause();
      }
    });
    assertThat(crashed.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    for (CompletableFuture<Object> call : running) {
      assertThat(call.get(20, TimeUnit.SECONDS)).isEqualTo(1.0);
    }
    for (int i = 0; i < burst.size(); i++) {
      assertThat(burst.get(i).get(20, TimeUnit.SECONDS)).isEqualTo((long) i);
    }
  }

  @Test
  void aNativeCrashFailsTheCallWithThePythonStackWhereItHappened() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("segfault", Map.of()));

    assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    WorkerExit exit = e.workerExit().orElseThrow();
    assertThat(exit.signal()).isEqualTo("SIGSEGV");
    assertThat(exit.cause()).isEqualTo(WorkerExit.Cause.SIGNALED);
    assertThat(exit.stderrTail()).contains("Fatal Python error: Segmentation fault", "in segfault");
    assertThat(e.getMessage()).contains("SIGSEGV", "in segfault");
  }

  @Test
  void aCallThatReachesNoWorkerIsRunByAnotherInsteadOfFailing() {
    long failed = pool.stats().callsFailed();
    long replaced = pool.stats().workersReplaced();

    // The worker that ran stop_reading is the warmest idle one, so it is offered the next call, and
    // writing that call fails with a broken pipe: the call never reached it.
    assertThat(pool.execute("stop_reading", Map.of())).isEqualTo("stopped");
    for (int i = 0; i < 5; i++) {
      assertThat(pool.execute("echo", Map.of("value", i))).isEqualTo((long) i);
    }

    assertThat(pool.stats().callsFailed()).isEqualTo(failed);
    await().atMost(Duration.ofSeconds(15)).until(() -> pool.stats().workersReplaced() == replaced + 1);
  }

  @Test
  void theProcessesADeadWorkerStartedAreKilledWithIt() {
    long child = (Long) pool.execute("spawn_child", Map.of("seconds", 60));
    assertThat(Processes.isRunning(child)).isTrue();
    // The child shares its worker's process group, whose id is the worker's pid.
    long worker = Processes.processGroup(child).orElseThrow();
    assertThat(pool.workerPids()).contains(worker);

    ProcessHandle.of(worker).orElseThrow().destroyForcibly();

    await().atMost(Duration.ofSeconds(10)).until(() -> !Processes.isRunning(child));
  }
}
