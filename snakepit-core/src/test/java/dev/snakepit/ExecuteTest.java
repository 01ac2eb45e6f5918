package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Running calls: blocking and asynchronous, deadlines, cancellation, and what the pool reports. */
@PoolTest
class ExecuteTest {
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration CANCEL_GRACE = Duration.ofSeconds(1);

  private static final RecordingListener events = new RecordingListener();
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("execute").size(2)
        .callTimeout(DEFAULT_TIMEOUT).cancelGrace(CANCEL_GRACE).listener(events));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  /** Each test starts with both workers idle: calls a previous test abandoned have ended. */
  @BeforeEach
  void poolIsSettled() {
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 2);
  }

  @Test
  void executeReturnsTheToolsResult() {
    Object sum = pool.execute("add", Map.of("a", 40, "b", 2));

    assertThat(sum).isExactlyInstanceOf(Long.class).isEqualTo(42L);
  }

  @Test
  void executeAcceptsPositionalArguments() {
    assertThat(pool.execute(Call.of("add").withArgs(1, 2))).isEqualTo(3L);
  }

  @Test
  void executeAsyncReturnsAtOnceAndCompletesOffThePoolsThreads() throws Exception {
    CompletableFuture<Object> future = pool.executeAsync(Call.of("sleep").withArg("seconds", 0.5).withTimeout(Duration.ofSeconds(10)));
    assertThat(future).isNotDone();

    AtomicReference<Thread> completedOn = new AtomicReference<>();
    Object value = future.thenApply(v -> {
      completedOn.set(Thread.currentThread());
      return v;
    }).get(10, TimeUnit.SECONDS);

    assertThat(value).isEqualTo(0.5);
    assertThat(completedOn.get().getName()).doesNotStartWith("snakepit-");
  }

  @Test
  void executeAsyncReportsAFailureThroughTheFuture() {
    CompletableFuture<Object> future = pool.executeAsync("fail", Map.of("message", "async boom"));

    ExecutionException thrown = catchThrowableOfType(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
    assertThat(thrown.getCause()).isInstanceOfSatisfying(SnakepitException.class,
        e -> assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION));
  }

  @Test
  void aCallsOwnTimeoutOverridesThePoolDefault() {
    // The pool's default of 1 s would stop this call.
    Object slept = pool.execute(Call.of("sleep").withArg("seconds", 1.5).withTimeout(Duration.ofSeconds(10)));

    assertThat(slept).isEqualTo(1.5);
  }

  @Test
  void theDefaultTimeoutFailsASlowCallWithTimeoutAndKeepsTheWorker() {
    Set<Long> pids = new HashSet<>(pool.workerPids());
    long crashed = pool.stats().workersCrashed();
    long started = System.nanoTime();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("sleep", Map.of("seconds", 30)));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(e.tool()).contains("sleep");
    assertThat(e.workerId()).hasValueSatisfying(id -> assertThat(e.getMessage()).contains("worker " + id));
    assertThat(e.getMessage()).contains("'sleep'", DEFAULT_TIMEOUT.toMillis() + " ms", "pool 'execute'");
    // Where the cancel found the tool.
    assertThat(e.getMessage()).contains("stopped when cancelled, in:", "in sleep");
    assertThat(e.pythonError()).hasValueSatisfying(p -> assertThat(p.type()).isEqualTo("CallCancelled"));
    // time.sleep is interrupted by the cancel, so the worker answers within the grace and stays.
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 2);
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
    assertThat(pool.workerPids()).containsExactlyInAnyOrderElementsOf(pids);
  }

  @Test
  void aCallsOwnTimeoutFailsItWithTimeoutNamingToolDeadlineAndWorker() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofMillis(300))));

    assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(e.retry()).isEqualTo(ErrorKind.Retry.IF_IDEMPOTENT);
    assertThat(e.getMessage()).contains("'sleep'", "300 ms", "worker " + e.workerId().orElseThrow());
  }

  @Test
  void aWorkerStillRunningACallAfterTheCancelGraceIsReplaced() {
    List<Long> before = pool.workerPids();
    long replaced = pool.stats().workersReplaced();

    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute(Call.of("ignore_cancel").withArg("seconds", 30).withTimeout(Duration.ofMillis(300))));

    assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
    // The caller waited for the kill, and has the stack the worker wrote just before it.
    assertThat(e.getMessage()).contains("did not stop within the cancel grace of " + CANCEL_GRACE.toMillis() + " ms",
        "most recent call first", "in ignore_cancel");
    String worker = e.workerId().orElseThrow();
    await().atMost(Duration.ofSeconds(15)).until(() -> pool.stats().workersReplaced() == replaced + 1 && pool.stats().idle() == 2);
    assertThat(events.ofType("workerCrash")).anySatisfy(crash -> {
      assertThat(crash.worker().workerId()).isEqualTo(worker);
      assertThat(crash.worker().reason()).contains("ignore_cancel", "still running", CANCEL_GRACE.toMillis() + " ms");
      // Where the hung tool was when it was killed: its stack, written by the worker first.
      assertThat(crash.worker().exit().stderrTail()).contains("most recent call first", "in ignore_cancel");
      assertThat(crash.worker().exit().cause()).isEqualTo(WorkerExit.Cause.KILLED_BY_POOL);
      assertThat(crash.worker().exit().poolReason()).isEqualTo(WorkerExit.PoolReason.DEADLINE);
      assertThat(before).contains(crash.worker().pid());
      assertThat(Processes.isRunning(crash.worker().pid())).isFalse();
    });
    assertThat(pool.workerPids()).hasSize(2);
    assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
  }

  @Test
  void cancellingTheFutureTellsTheWorkerToStopTheCall() {
    Set<Long> pids = new HashSet<>(pool.workerPids());
    long crashed = pool.stats().workersCrashed();
    CompletableFuture<Object> future = pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

    assertThat(future.cancel(true)).isTrue();

    assertThat(future).isCancelled();
    // The worker stops sleeping at once: long before the 30 s, and without being killed.
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 2);
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
    assertThat(pool.workerPids()).containsExactlyInAnyOrderElementsOf(pids);
    assertThat(events.ofType("callException")).anySatisfy(failed -> {
      assertThat(failed.call().tool()).isEqualTo("sleep");
      assertThat(failed.error().kind()).isEqualTo(ErrorKind.CANCELLED);
    });
  }

  @Test
  void interruptingABlockedCallerFailsTheCallWithCancelled() throws Exception {
    long crashed = pool.stats().workersCrashed();
    CompletableFuture<SnakepitException> thrown = new CompletableFuture<>();
    CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
    Thread caller = Thread.ofPlatform().name("test-caller").start(() -> {
      try {
        pool.execute(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
        thrown.complete(null);
      } catch (SnakepitException e) {
        thrown.complete(e);
      }
      stillInterrupted.complete(Thread.currentThread().isInterrupted());
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

    caller.interrupt();

    SnakepitException e = thrown.get(10, TimeUnit.SECONDS);
    caller.join(Duration.ofSeconds(10));
    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(e.getMessage()).contains("'sleep'", "interrupted");
    assertThat(stillInterrupted.get()).as("the caller's interrupt flag is kept").isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 2);
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
  }

  @Test
  void anotherWorkerServesWhileOneIsBusy() {
    CompletableFuture<Object> slow = pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

    assertThat(pool.execute(Call.of("add").withArg("a", 1).withArg("b", 1).withTimeout(Duration.ofSeconds(5)))).isEqualTo(2L);

    slow.cancel(true);
    assertThat(slow).isCancelled();
  }

  @Test
  void cancellingAQueuedCallRemovesItFromTheQueue() {
    CompletableFuture<Object> first = pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
    CompletableFuture<Object> second = pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 2);
    CompletableFuture<Object> queued = pool.executeAsync("ping", Map.of());
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1);

    queued.cancel(true);

    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 0);
    assertThat(catchThrowableOfType(CancellationException.class, queued::join)).isNotNull();
    first.cancel(true);
    second.cancel(true);
  }

  @Test
  void listsTheAdaptersToolsWithTheirMetadata() {
    List<ToolInfo> tools = pool.tools();

    assertThat(tools).extracting(ToolInfo::name)
        .contains("ping", "echo", "add", "sleep", "fail", "ignore_cancel", "corrupt_data_plane");
    ToolInfo add = pool.tool("add").orElseThrow();
    assertThat(add.doc()).isEqualTo("Adds two numbers.");
    assertThat(add.signature()).isEqualTo("add(a: int, b: int = 2)");
    assertThat(add.parameters()).hasSize(2);
    ToolParameter a = add.parameter("a").orElseThrow();
    assertThat(a.required()).isTrue();
    assertThat(a.hasDefault()).isFalse();
    assertThat(a.kind()).isEqualTo(ToolParameter.Kind.POSITIONAL_OR_KEYWORD);
    assertThat(a.annotation()).isEqualTo("int");
    ToolParameter b = add.parameter("b").orElseThrow();
    assertThat(b.required()).isFalse();
    assertThat(b.defaultValue()).isExactlyInstanceOf(Long.class).isEqualTo(2L);
    assertThat(b.defaultRepr()).isEqualTo("2");
    assertThat(pool.tool("no_such_tool")).isEmpty();
  }

  @Test
  void statsCountCallsAndDescribeThePool() {
    PoolStats before = pool.stats();

    pool.execute("ping", Map.of());
    catchThrowableOfType(SnakepitException.class, () -> pool.execute("fail", Map.of()));

    PoolStats after = pool.stats();
    assertThat(after.pool()).isEqualTo("execute");
    assertThat(after.state()).isEqualTo(PoolStats.State.RUNNING);
    assertThat(after.healthy()).isTrue();
    assertThat(after.targetSize()).isEqualTo(2);
    assertThat(after.workers()).isEqualTo(2);
    assertThat(after.idle()).isEqualTo(2);
    assertThat(after.busy()).isZero();
    assertThat(after.starting()).isZero();
    assertThat(after.queued()).isZero();
    assertThat(after.callsSucceeded()).isEqualTo(before.callsSucceeded() + 1);
    assertThat(after.callsFailed()).isEqualTo(before.callsFailed() + 1);
    assertThat(after.workersStarted()).isGreaterThanOrEqualTo(2);
    assertThat(after.uptime()).isGreaterThan(before.uptime());
    assertThat(after.describe()).contains("total=2", "busy=0", "idle=2", "starting=0", "queued=0");
  }

  @Test
  void aSelfDispatchingAdapterReceivesCallsOfAnyName() {
    try (Snakepit dispatching = TestPools.start(TestPools.builder("pooltests.dispatching:SelfDispatching", "dispatching"))) {
      Object answer = dispatching.execute(Call.of("anything").withArgs(1, "two").withArg("k", true));

      assertThat(answer).isEqualTo(Map.of("tool", "anything", "args", List.of(1L, "two"), "kwargs", Map.of("k", true)));
      assertThat(dispatching.tools()).extracting(ToolInfo::name).containsExactly("declared");
      SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> dispatching.execute("explode", Map.of()));
      assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
      assertThat(e.pythonError().orElseThrow().type()).isEqualTo("RuntimeError");
    }
  }
}
