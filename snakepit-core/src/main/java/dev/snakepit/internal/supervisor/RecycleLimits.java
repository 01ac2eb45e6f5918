package dev.snakepit.internal.supervisor;

import dev.snakepit.PoolConfig;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One worker's recycling thresholds: the pool's, each spread by its own random factor within
 * {@link PoolConfig#recycleJitter()}, so that workers started together do not recycle together. Zero
 * means never.
 */
record RecycleLimits(long calls, long ageNanos, long memoryBytes) {
  static final RecycleLimits NONE = new RecycleLimits(0, 0, 0);

  static RecycleLimits of(PoolConfig config) {
    return new RecycleLimits(spread(config.recycleAfterCalls(), config), spread(config.recycleAfterAge().toNanos(), config),
        spread(config.recycleAboveMemory(), config));
  }

  private static long spread(long value, PoolConfig config) {
    if (value <= 0) {
      return 0;
    }
    double jitter = config.recycleJitter();
    double factor = 1 + jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    return Math.max(1, Math.round(value * factor));
  }

  /** Whether the pool recycles workers at all. */
  static boolean enabled(PoolConfig config) {
    return config.recycleAfterCalls() > 0 || !config.recycleAfterAge().isZero() || config.recycleAboveMemory() > 0
        || config.recycleAboveErrorRate() > 0;
  }
}
