package dev.snakepit;

import java.util.Arrays;

/**
 * A starting point for {@link PoolConfig.Builder#size}, by the kind of work the tools do; measure and
 * tune from there. Each Python worker runs one call at a time, so a worker waiting on the network or
 * the disk leaves its core idle.
 *
 * <pre>{@code
 * PoolConfig.builder("my_models.sentiment:SentimentAdapter").size(PoolSizing.recommend(PoolSizing.Workload.CPU_BOUND))
 * }</pre>
 */
public final class PoolSizing {
  /** The kind of work the pool's tools do. */
  public enum Workload {
    /** Computation in Python or native code: one worker per core. */
    CPU_BOUND,
    /** Mostly waiting on I/O (HTTP APIs, databases, files): four workers per core. */
    IO_BOUND,
    /** Some of each: two workers per core. */
    MIXED
  }

  private PoolSizing() {}

  /**
   * The recommended size for {@code workload} on this machine's processors, at most {@link PoolConfig#MAX_SIZE}.
   *
   * @throws NullPointerException if {@code workload} is null
   */
  public static int recommend(Workload workload) {
    return recommend(workload, Runtime.getRuntime().availableProcessors());
  }

  /**
   * The recommended size for {@code workload} on {@code processors} processors, 1 to {@link PoolConfig#MAX_SIZE}.
   *
   * @throws NullPointerException if {@code workload} is null
   * @throws IllegalArgumentException if {@code processors} is below 1
   */
  public static int recommend(Workload workload, int processors) {
    if (workload == null) {
      throw new NullPointerException("PoolSizing.recommend: workload must not be null; it is one of "
          + Arrays.toString(Workload.values()));
    }
    if (processors < 1) {
      throw new IllegalArgumentException("PoolSizing.recommend: processors = " + processors + " is invalid: it must be at least 1");
    }
    long size = switch (workload) {
      case CPU_BOUND -> processors;
      case IO_BOUND -> 4L * processors;
      case MIXED -> 2L * processors;
    };
    return (int) Math.min(PoolConfig.MAX_SIZE, size);
  }
}
