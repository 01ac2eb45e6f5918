package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.snakepit.testing.LogCapture;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A bug inside the pool's control loop leaves its state untrustworthy: the pool closes with a clear
 * error, and no process of it survives, neither the workers nor what they started.
 */
@PoolTest
class SupervisorFailureTest {
  @Test
  void aFailureInTheControlLoopClosesThePoolAndKillsEveryWorker() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.demo("loop-failure").size(3).shutdownGrace(Duration.ofSeconds(1)));
        LogCapture log = LogCapture.attach("dev.snakepit.internal.supervisor.Supervisor", Level.ERROR)) {
      List<Long> workers = pool.workerPids();
      long child = (Long) pool.execute("spawn_child", Map.of("seconds", 60));
      CompletableFuture<Object> running = pool.executeAsync(Call.of("sleep").withArg("seconds", 30.0));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

      pool.core().injectSupervisorFailure(new IllegalStateException("injected supervisor failure"));

      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().state() == PoolStats.State.CLOSED);
      assertThat(workers).noneMatch(Processes::isRunning);
      assertThat(Processes.isRunning(child)).as("a worker's child").isFalse();
      ExecutionException failedCall = catchThrowableOfType(ExecutionException.class, () -> running.get(10, TimeUnit.SECONDS));
      assertThat(failedCall.getCause()).isInstanceOf(SnakepitException.class);
      SnakepitException refused = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ping", Map.of()));
      assertThat(refused.kind()).isEqualTo(ErrorKind.POOL_CLOSED);
      assertThat(refused.getMessage()).contains("after an internal error in its control loop", "injected supervisor failure");
      PoolHealth health = pool.health();
      assertThat(health.healthy()).isFalse();
      assertThat(health.detail()).contains("CLOSED after an internal error", "injected supervisor failure");
      assertThat(log.events()).anyMatch(e -> e.getFormattedMessage().contains("internal error in the control loop of pool 'loop-failure'"));
    }
  }
}
