package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.Outcomes;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Tools marked {@code @tool(concurrency=N)}: one worker runs up to N plain calls of such a tool at once,
 * async ones on an event loop and plain ones on a pool of threads, each call with its own deadline,
 * cancel and answer (docs/protocol.md section 4.2, ADR 0006). The barrier tools prove overlap without
 * timing: they return only once the given number of calls run at once.
 */
@PoolTest
class ConcurrentToolsTest {
  private static final Duration BOUND = Duration.ofSeconds(20);

  private static Snakepit pool(String name) {
    return TestPools.start(TestPools.testAdapter(name));
  }

  private static Call overlap(String tool, String key, int parties) {
    return Call.of(tool).withArg("key", key).withArg("parties", parties).withArg("timeout", 15.0);
  }

  private static List<CompletableFuture<Object>> start(Snakepit pool, int count, Call call) {
    List<CompletableFuture<Object>> calls = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      calls.add(pool.executeAsync(call));
    }
    return calls;
  }

  private static void awaitBusyWith(Snakepit pool, int queued) {
    await().atMost(BOUND).until(() -> pool.stats().busy() == pool.stats().workers() && pool.stats().queued() == queued);
  }

  @Test
  void theToolsTellTheirConcurrency() {
    try (Snakepit pool = pool("lanes-tools")) {
      assertThat(pool.tool("slow_async").orElseThrow().concurrency()).isEqualTo(8);
      assertThat(pool.tool("slow_thread").orElseThrow().concurrency()).isEqualTo(4);
      assertThat(pool.tool("add").orElseThrow().concurrency()).isEqualTo(1);
    }
  }

  @Test
  void oneWorkerRunsEightCallsOfAnAsyncToolAtOnce() throws Exception {
    try (Snakepit pool = pool("lanes-async")) {
      List<CompletableFuture<Object>> calls = start(pool, 8, overlap("overlap_async", "eight", 8));
      for (CompletableFuture<Object> call : calls) {
        assertThat(call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo(8L);
      }
      assertThat(pool.stats().workersStarted()).isEqualTo(1);
    }
  }

  @Test
  void oneWorkerRunsAsManyCallsOfAThreadToolAsItsThreads() throws Exception {
    try (Snakepit pool = pool("lanes-threads")) {
      List<CompletableFuture<Object>> calls = start(pool, 4, overlap("overlap_thread", "four", 4));
      for (CompletableFuture<Object> call : calls) {
        assertThat(call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo(4L);
      }
    }
  }

  @Test
  void aCallBeyondTheToolsConcurrencyWaitsInTheQueueForALane() throws Exception {
    try (Snakepit pool = pool("lanes-full")) {
      List<CompletableFuture<Object>> running = start(pool, 8, Call.of("hang_async"));
      awaitBusyWith(pool, 0);
      CompletableFuture<Object> ninth = pool.executeAsync(Call.of("whoami_async"));
      // A different tool with concurrency 8: it has lanes of its own, and runs beside the eight.
      assertThat(ninth.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(Long.class);
      CompletableFuture<Object> waiting = pool.executeAsync(Call.of("hang_async"));
      awaitBusyWith(pool, 1);

      running.get(0).cancel(true);

      await().atMost(BOUND).until(() -> pool.stats().queued() == 0);
      running.forEach(call -> call.cancel(true));
      waiting.cancel(true);
      await().atMost(BOUND).until(() -> pool.stats().idle() == 1);
      assertThat(pool.stats().workersCrashed()).isZero();
    }
  }

  @Test
  void aSerialCallIsServedWhileConcurrentCallsWait() throws Exception {
    try (Snakepit pool = pool("lanes-serial")) {
      List<CompletableFuture<Object>> hanging = start(pool, 3, Call.of("hang_async"));
      awaitBusyWith(pool, 0);

      assertThat(pool.execute(Call.of("add").withArg("a", 1).withArg("b", 2).withTimeout(BOUND))).isEqualTo(3L);

      assertThat(hanging).noneMatch(CompletableFuture::isDone);
      hanging.forEach(call -> call.cancel(true));
      await().atMost(BOUND).until(() -> pool.stats().idle() == 1);
    }
  }

  @Test
  void everyCallerGetsItsOwnAnswerUnderLoadOnTwoWorkers() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("lanes-load").size(2))) {
      AtomicInteger wrong = new AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int caller = t;
        callers.add(Thread.ofPlatform().start(() -> {
          try {
            for (int i = 0; i < 150; i++) {
              String value = caller + ":" + i;
              String tool = i % 3 == 0 ? "slow_thread" : "slow_async";
              if (!value.equals(pool.execute(Call.of(tool).withArg("seconds", 0.0).withArg("value", value)))) {
                wrong.incrementAndGet();
              }
              if (i % 10 == 0 && !Long.valueOf(caller + i).equals(pool.execute("add", Map.of("a", caller, "b", i)))) {
                wrong.incrementAndGet();
              }
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      for (Thread caller : callers) {
        caller.join(60_000);
      }
      assertThat(failure.get()).isNull();
      assertThat(wrong).hasValue(0);
      assertThat(pool.stats().workersCrashed()).isZero();
    }
  }

  @Test
  void eachConcurrentCallKnowsItsOwnRequest() throws Exception {
    try (Snakepit pool = pool("lanes-whoami")) {
      List<CompletableFuture<Object>> calls = start(pool, 16, Call.of("whoami_async"));
      Set<Object> ids = new HashSet<>();
      for (CompletableFuture<Object> call : calls) {
        ids.add(call.get(BOUND.toSeconds(), TimeUnit.SECONDS));
      }
      assertThat(ids).hasSize(16);
    }
  }

  @Test
  void aDeadlineEndsOneConcurrentCallAndLeavesTheOthersAndTheWorkerAlone() throws Exception {
    try (Snakepit pool = pool("lanes-deadline")) {
      long pid = pool.workerPids().get(0);
      List<CompletableFuture<Object>> others = start(pool, 3, Call.of("hang_async"));
      awaitBusyWith(pool, 0);

      SnakepitException timeout = Outcomes.failureOf(
          pool.executeAsync(Call.of("hang_async").withTimeout(Duration.ofMillis(300))), BOUND);

      assertThat(timeout.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertThat(others).noneMatch(CompletableFuture::isDone);
      assertThat(pool.execute(Call.of("whoami_async").withTimeout(BOUND))).isInstanceOf(Long.class);
      assertThat(pool.workerPids()).containsExactly(pid);
      others.forEach(call -> call.cancel(true));
      await().atMost(BOUND).until(() -> pool.stats().idle() == 1);
      assertThat(pool.workerPids()).containsExactly(pid);
      assertThat(pool.stats().workersCrashed()).isZero();
    }
  }

  @Test
  void cancellingAConcurrentCallStopsItInPython() throws Exception {
    try (Snakepit pool = pool("lanes-cancel")) {
      long pid = pool.workerPids().get(0);
      List<CompletableFuture<Object>> calls = start(pool, 2, Call.of("hang_async"));
      calls.add(pool.executeAsync(Call.of("slow_thread").withArg("seconds", 0.05).withArg("value", "kept")));
      awaitBusyWith(pool, 0);

      calls.get(0).cancel(true);
      calls.get(1).cancel(true);

      assertThat(calls.get(0)).isCancelled();
      assertThat(calls.get(2).get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo("kept");
      // Both hanging calls were answered CANCELLED: the worker is idle, not killed at the cancel grace.
      await().atMost(BOUND).until(() -> pool.stats().idle() == 1);
      assertThat(pool.workerPids()).containsExactly(pid);
    }
  }

  @Test
  void aThreadCallThatOverrunsItsCancelGetsItsWorkerReplaced() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("lanes-overrun").cancelGrace(Duration.ofMillis(500)))) {
      long pid = pool.workerPids().get(0);

      // time.sleep on a tool's own thread cannot be interrupted: the cancel lands only when it returns.
      SnakepitException timeout = Outcomes.failureOf(pool.executeAsync(Call.of("slow_thread").withArg("seconds", 60.0)
          .withArg("value", "late").withTimeout(Duration.ofMillis(300))), BOUND);

      assertThat(timeout.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertThat(timeout.getMessage()).contains("worker was killed");
      await().atMost(BOUND).until(() -> !Processes.isRunning(pid));
      assertThat(pool.execute(Call.of("slow_thread").withArg("seconds", 0.0).withArg("value", 1).withTimeout(BOUND))).isEqualTo(1L);
      assertThat(pool.workerPids()).doesNotContain(pid);
    }
  }

  @Test
  void concurrentCallsOfAKilledWorkerFailAsCrashedOrRunAgainWithRetries() throws Exception {
    try (Snakepit pool = pool("lanes-kill")) {
      long pid = pool.workerPids().get(0);
      List<CompletableFuture<Object>> hanging = start(pool, 4, Call.of("hang_async"));
      List<CompletableFuture<Object>> retried = start(pool, 2, Call.of("hang_on_async").withArg("pid", pid).withRetries(1));
      awaitBusyWith(pool, 0);
      assertThat(hanging).noneMatch(CompletableFuture::isDone);
      assertThat(retried).noneMatch(CompletableFuture::isDone);

      Processes.signal(pid, "KILL");

      for (CompletableFuture<Object> call : hanging) {
        assertThat(Outcomes.failureOf(call, BOUND).kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      }
      for (CompletableFuture<Object> call : retried) {
        assertThat(call.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo(pool.workerPids().get(0));
      }
      assertThat(pool.stats().workersCrashed()).isEqualTo(1);
      assertThat(pool.stats().callsRetried()).isEqualTo(2);
    }
  }

  @Test
  void recyclingAWorkerWithConcurrentCallsFailsNone() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("lanes-recycle").size(2).recycleAfterCalls(25).recycleJitter(0))) {
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        callers.add(Thread.ofPlatform().start(() -> {
          try {
            for (int i = 0; i < 150; i++) {
              pool.execute(Call.of("slow_async").withArg("seconds", 0.002).withArg("value", i));
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }));
      }
      for (Thread caller : callers) {
        caller.join(60_000);
      }
      assertThat(failure.get()).isNull();
      assertThat(pool.stats().recycles().get(RecycleReason.CALLS)).isGreaterThanOrEqualTo(3);
      assertThat(pool.stats().workersCrashed()).isZero();
    }
  }

  @Test
  void closingThePoolLetsConcurrentCallsFinish() throws Exception {
    Snakepit pool = TestPools.start(TestPools.testAdapter("lanes-close").shutdownGrace(Duration.ofSeconds(10)));
    List<Long> pids = pool.workerPids();
    List<CompletableFuture<Object>> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      calls.add(pool.executeAsync(Call.of("slow_async").withArg("seconds", 0.5).withArg("value", i)));
    }
    awaitBusyWith(pool, 0);

    pool.close();

    for (int i = 0; i < calls.size(); i++) {
      assertThat(calls.get(i).get(1, TimeUnit.SECONDS)).isEqualTo((long) i);
    }
    assertThat(pids).noneMatch(Processes::isRunning);
  }
}
