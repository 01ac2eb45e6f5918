package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A running pool grows at once and shrinks without failing a call: idle workers go first, busy ones finish. */
@PoolTest
class ResizeTest {
  @Test
  void growingStartsTheNewWorkersAtOnce() {
    try (Snakepit pool = TestPools.start(TestPools.demo("grow"))) {
      pool.resize(3);

      assertThat(pool.stats().targetSize()).isEqualTo(3);
      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().idle() == 3);
      assertThat(pool.workerPids()).hasSize(3);
      assertThat(pool.health().detail()).contains("3 of 3 workers");
    }
  }

  @Test
  void shrinkingStopsIdleWorkersFirstAndLetsABusyOneFinish() throws Exception {
    RecordingListener events = new RecordingListener();
    try (Snakepit pool = TestPools.start(TestPools.demo("shrink").size(3).listener(events))) {
      CompletableFuture<Object> running = pool.executeAsync(Call.of("sleep").withArg("seconds", 1.5));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
      List<Long> before = pool.workerPids();

      pool.resize(1);

      assertThat(running.get(20, TimeUnit.SECONDS)).isEqualTo(1.5);
      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().workers() == 1 && pool.stats().idle() == 1);
      assertThat(before).containsAll(pool.workerPids()).as("the busy worker was kept");
      assertThat(before.stream().filter(Processes::isRunning)).hasSize(1);
      assertThat(pool.stats().callsFailed()).isZero();
      assertThat(pool.stats().workersCrashed()).isZero();
      assertThat(events.ofType("workerStop")).hasSize(2)
          .allSatisfy(stop -> {
            assertThat(stop.worker().reason()).isEqualTo("pool resized from 3 to 1 workers");
            assertThat(stop.worker().exit().cause()).isEqualTo(WorkerExit.Cause.STOPPED_BY_POOL);
            assertThat(stop.worker().exit().poolReason()).isEqualTo(WorkerExit.PoolReason.RESIZE);
          });
    }
  }

  @Test
  void aWorkerStoppingAfterItsCallIsKilledWhenThatCallOverrunsItsCancel() throws Exception {
    // Both workers run a call that swallows its cancel; the shrink leaves one of them to stop once its
    // call ends, which it never would: it must be killed after the cancel grace like the other.
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("shrink-overrun").size(2)
        .callTimeout(Duration.ofSeconds(1)).cancelGrace(Duration.ofSeconds(1)))) {
      List<CompletableFuture<Object>> calls = List.of(
          pool.executeAsync(Call.of("ignore_cancel").withArg("seconds", 30)),
          pool.executeAsync(Call.of("ignore_cancel").withArg("seconds", 30)));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 2);

      pool.resize(1);

      for (CompletableFuture<Object> call : calls) {
        SnakepitException timedOut = catchThrowableOfType(SnakepitException.class, () -> {
          try {
            call.get(20, TimeUnit.SECONDS);
          } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause();
          }
        });
        assertThat(timedOut.kind()).isEqualTo(ErrorKind.TIMEOUT);
        assertThat(timedOut.getMessage()).contains("did not stop within the cancel grace");
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().workers() == 1 && pool.stats().idle() == 1);
      NoLeaks.sawWorkers(pool.workerPids());
    }
  }

  @Test
  void shrinkingABusyPoolLetsEveryRunningCallFinish() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.demo("shrink-busy").size(2))) {
      List<CompletableFuture<Object>> running = List.of(
          pool.executeAsync(Call.of("sleep").withArg("seconds", 1.0)),
          pool.executeAsync(Call.of("sleep").withArg("seconds", 1.0)));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 2);

      pool.resize(1);

      for (CompletableFuture<Object> call : running) {
        assertThat(call.get(20, TimeUnit.SECONDS)).isEqualTo(1.0);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().workers() == 1 && pool.stats().idle() == 1);
      assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
    }
  }

  @Test
  void aSizeOutOfRangeIsRejectedAndAClosedPoolCannotBeResized() {
    Snakepit pool = TestPools.start(TestPools.demo("resize-bad"));
    try {
      assertThatThrownBy(() -> pool.resize(0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Snakepit.resize: size = 0 is invalid: it must be between 1 and 1024");
      assertThatThrownBy(() -> pool.resize(1025)).isInstanceOf(IllegalArgumentException.class);
    } finally {
      pool.close();
    }

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.resize(2));
    assertThat(e.kind()).isEqualTo(ErrorKind.POOL_CLOSED);
  }

  @Test
  void theSizingHelperFollowsTheWorkload() {
    assertThat(PoolSizing.recommend(PoolSizing.Workload.CPU_BOUND, 8)).isEqualTo(8);
    assertThat(PoolSizing.recommend(PoolSizing.Workload.MIXED, 8)).isEqualTo(16);
    assertThat(PoolSizing.recommend(PoolSizing.Workload.IO_BOUND, 8)).isEqualTo(32);
    assertThat(PoolSizing.recommend(PoolSizing.Workload.IO_BOUND, 512)).isEqualTo(PoolConfig.MAX_SIZE);
    assertThat(PoolSizing.recommend(PoolSizing.Workload.CPU_BOUND))
        .isEqualTo(Math.min(PoolConfig.MAX_SIZE, Runtime.getRuntime().availableProcessors()));
    assertThatThrownBy(() -> PoolSizing.recommend(PoolSizing.Workload.MIXED, 0))
        .hasMessage("PoolSizing.recommend: processors = 0 is invalid: it must be at least 1");
    assertThatThrownBy(() -> PoolSizing.recommend(null, 4)).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("CPU_BOUND, IO_BOUND, MIXED");
  }
}
