package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Workers that crash as fast as they are replaced trip the crash-loop circuit: the pool reports itself
 * unhealthy and holds replacements back instead of restarting in a hot loop, then recovers by itself.
 */
@PoolTest
class CrashLoopTest {
  private static final Duration WINDOW = Duration.ofSeconds(8);

  @Test
  void threeCrashesInTheWindowHoldReplacementsBackUntilTheWindowHasPassed() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("crash-loop").size(2).crashLoop(3, WINDOW))) {
      assertThat(pool.health().healthy()).isTrue();

      for (int i = 1; i <= 3; i++) {
        int crashes = i;
        SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("crash", Map.of()));
        assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().workersCrashed() == crashes);
        if (i < 3) {
          // Below the limit a crashed worker is replaced at once.
          await().atMost(Duration.ofSeconds(15)).until(() -> pool.stats().idle() == 2);
        }
      }

      PoolStats looping = pool.stats();
      assertThat(looping.crashLooping()).isTrue();
      assertThat(looping.healthy()).isFalse();
      assertThat(looping.workers()).as("the third crash is not replaced yet").isEqualTo(1);
      assertThat(looping.describe()).contains("crash-looping");
      PoolHealth health = pool.health();
      assertThat(health.healthy()).isFalse();
      assertThat(health.detail()).contains("crash-looping", "3 or more workers crashed within 8 s");
      assertThat(pool.execute("add", Map.of("a", 1))).as("the surviving worker still serves").isEqualTo(3L);

      // Once the first crash has left the window, the replacement starts and the pool is whole again.
      await().atMost(WINDOW.plusSeconds(20)).until(() -> pool.stats().idle() == 2);
      assertThat(pool.stats().crashLooping()).isFalse();
      assertThat(pool.health().healthy()).isTrue();
    }
  }
}
