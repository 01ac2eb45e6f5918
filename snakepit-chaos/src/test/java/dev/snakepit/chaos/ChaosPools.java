package dev.snakepit.chaos;

import dev.snakepit.Snakepit;
import dev.snakepit.PoolConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.testing.TestPools;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Pools of the chaos adapter with the test presets of {@link TestPools}, the suite's scale, a helper. */
final class ChaosPools {
  private ChaosPools() {}

  /** The chaos adapter with the presets of {@link TestPools#builder}: one worker, short timeouts. */
  static PoolConfig.Builder builder(String name) {
    return TestPools.builder(ChaosAdapter.ADAPTER, name).addPythonPath(ChaosAdapter.pythonPath());
  }

  /** The exception a failed call's future holds. */
  static SnakepitException failure(CompletableFuture<?> call) {
    try {
      call.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SnakepitException failure) {
        return failure;
      }
      throw new AssertionError("the call failed with " + e.getCause(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("the call did not fail within 60 s", e);
    }
    throw new AssertionError("the call succeeded; it was expected to fail");
  }

  static Snakepit start(PoolConfig.Builder builder) {
    return TestPools.start(builder);
  }

  /** Whether the full chaos suite runs ({@code -Psnakepit.chaos.scale=full}), rather than CI's bounded subset. */
  static boolean full() {
    return "full".equals(System.getProperty("snakepit.chaos.scale", "ci"));
  }

  /** {@code ci} in CI's bounded subset, {@code full} in the full suite. */
  static int scaled(int ci, int full) {
    return full() ? full : ci;
  }
}
