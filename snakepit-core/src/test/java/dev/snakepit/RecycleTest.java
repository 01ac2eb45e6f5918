package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Workers are recycled by calls served, age, memory and error rate: the replacement starts first, the
 * old worker finishes its call and stops, and no call fails because of it.
 */
@PoolTest
class RecycleTest {
  @Test
  void underLoadWithAggressiveRecyclingNoCallFails() throws Exception {
    RecordingListener events = new RecordingListener();
    int threads = 4;
    int callsPerThread = 500;
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("recycle-load").size(2).recycleAfterCalls(25)
            .recycleAfterAge(Duration.ofSeconds(2)).listener(events));
        ExecutorService callers = Executors.newFixedThreadPool(threads)) {
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(callers.submit(() -> {
          for (int i = 0; i < callsPerThread; i++) {
            long value = thread * 100_000L + i;
            assertThat(pool.execute("echo", Map.of("value", value))).isEqualTo(value);
            // Calls that take a moment, so that the run outlasts many worker starts.
            assertThat(pool.execute("sleep", Map.of("seconds", 0.004))).isEqualTo(0.004);
          }
          return callsPerThread;
        }));
      }
      for (Future<Integer> each : done) {
        assertThat(each.get(5, TimeUnit.MINUTES)).isEqualTo(callsPerThread);
      }

      PoolStats stats = pool.stats();
      assertThat(stats.callsFailed()).isZero();
      assertThat(stats.callsSucceeded()).isEqualTo(2L * threads * callsPerThread);
      // A worker past its 25 calls serves on until its replacement is ready (a Python start, some
      // 100 to 300 ms here), so the run of a few seconds sees a recycle every few hundred calls.
      assertThat(stats.recycles().get(RecycleReason.CALLS)).isGreaterThanOrEqualTo(5);
      assertThat(stats.workersCrashed()).isZero();
      assertThat(events.ofType("workerStop")).anySatisfy(stop -> {
        assertThat(stop.worker().reason()).isEqualTo("recycled (calls served)");
        assertThat(stop.worker().exit().cause()).isEqualTo(WorkerExit.Cause.STOPPED_BY_POOL);
        assertThat(stop.worker().exit().poolReason()).isEqualTo(WorkerExit.PoolReason.RECYCLE);
      });
      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().workers() == 2 && pool.stats().idle() == 2);
      assertThat(pool.health().healthy()).isTrue();
    }
  }

  @Test
  void aWorkerRecycledForItsAgeFinishesTheCallItRuns() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("recycle-age").recycleAfterAge(Duration.ofSeconds(1))
        .recycleJitter(0))) {
      long old = pool.workerPids().getFirst();

      CompletableFuture<Object> running = pool.executeAsync(Call.of("sleep").withArg("seconds", 3.0));

      assertThat(running.get(30, TimeUnit.SECONDS)).isEqualTo(3.0);
      await().atMost(Duration.ofSeconds(15)).until(() -> !Processes.isRunning(old));
      assertThat(pool.stats().recycles().get(RecycleReason.AGE)).isGreaterThanOrEqualTo(1);
      assertThat(pool.stats().callsFailed()).isZero();
      assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
    }
  }

  @Test
  void aWorkerHoldingTooMuchMemoryIsRecycled() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("recycle-memory").recycleAboveMemory(150L * 1024 * 1024)
        .recycleJitter(0))) {
      long leaky = pool.workerPids().getFirst();

      for (int i = 0; i < 4; i++) {
        pool.execute("hoard", Map.of("mib", 50));
      }

      await().atMost(Duration.ofSeconds(20)).until(() -> !Processes.isRunning(leaky) && pool.stats().idle() == 1);
      assertThat(pool.stats().recycles().get(RecycleReason.MEMORY)).isEqualTo(1);
      assertThat(pool.execute("hoard", Map.of("mib", 1))).as("the new worker starts with nothing hoarded").isEqualTo(1L);
    }
  }

  @Test
  void aWorkerWhoseCallsKeepFailingIsRecycled() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("recycle-errors").recycleAboveErrorRate(0.5, 4))) {
      long failing = pool.workerPids().getFirst();

      for (int i = 0; i < 4; i++) {
        SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("fail", Map.of()));
        assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
      }

      await().atMost(Duration.ofSeconds(20)).until(() -> !Processes.isRunning(failing) && pool.stats().idle() == 1);
      assertThat(pool.stats().recycles().get(RecycleReason.ERROR_RATE)).isEqualTo(1);
      assertThat(pool.stats().workersRecycled()).isEqualTo(1);
    }
  }
}
