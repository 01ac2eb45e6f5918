package dev.snakepit.internal;

import dev.snakepit.PoolConfig;
import dev.snakepit.RecycleReason;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * When one worker is due for recycling, and why: after so many calls, above an error rate over its
 * latest calls, past an age, or above a resident memory. The thresholds are the pool's, each spread by
 * its own random factor within {@link PoolConfig#recycleJitter()}, so that workers started together
 * do not recycle together. Zero means never.
 *
 * <p>Two owners feed it: the dispatcher counts every answered call ({@link #answered}, under the
 * dispatcher's lock), and the supervisor's loop checks age and memory ({@link #dueByAgeOrMemory}).
 */
public final class RecyclePolicy {
  /** A worker that is never recycled. */
  public static final RecyclePolicy NEVER = new RecyclePolicy(0, 0, 0, 0, 0);

  private final long calls;
  private final long ageNanos;
  private final long memoryBytes;
  private final double errorRate;
  /** Outcomes of the latest calls, a ring: true for an error. Guarded by the dispatcher's lock. */
  private final boolean[] outcomes;
  private int next;
  private int filled;
  private int errors;
  /** Calls answered. Written under the dispatcher's lock; volatile so that snapshots may read it. */
  private volatile long answered;
  /** Whether the count of calls or errors has asked for the recycle already. Guarded by the dispatcher's lock. */
  private boolean asked;

  private RecyclePolicy(long calls, long ageNanos, long memoryBytes, double errorRate, int errorWindow) {
    this.calls = calls;
    this.ageNanos = ageNanos;
    this.memoryBytes = memoryBytes;
    this.errorRate = errorRate;
    this.outcomes = new boolean[errorRate > 0 ? errorWindow : 0];
  }

  /** Whether the pool recycles workers at all. */
  public static boolean enabled(PoolConfig config) {
    return config.recycleAfterCalls() > 0 || !config.recycleAfterAge().isZero() || config.recycleAboveMemory() > 0
        || config.recycleAboveErrorRate() > 0;
  }

  /** A new worker's policy, with its own spread of the pool's thresholds. */
  public static RecyclePolicy of(PoolConfig config) {
    return new RecyclePolicy(spread(config.recycleAfterCalls(), config), spread(config.recycleAfterAge().toNanos(), config),
        spread(config.recycleAboveMemory(), config), config.recycleAboveErrorRate(), config.recycleErrorWindow());
  }

  /** A policy with exactly these thresholds, for tests; 0 means never. */
  public static RecyclePolicy exactly(long calls, long ageNanos, long memoryBytes, double errorRate, int errorWindow) {
    return new RecyclePolicy(calls, ageNanos, memoryBytes, errorRate, errorWindow);
  }

  private static long spread(long value, PoolConfig config) {
    if (value <= 0) {
      return 0;
    }
    double jitter = config.recycleJitter();
    double factor = 1 + jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    return Math.max(1, Math.round(value * factor));
  }

  /** Calls answered so far. */
  public long answeredCalls() {
    return answered;
  }

  /**
   * Counts an answered call; returns why the worker should now be recycled, once, or null. Under the
   * dispatcher's lock.
   */
  public RecycleReason answered(boolean error) {
    answered = answered + 1; // under the dispatcher's lock: no other writer
    if (outcomes.length > 0) {
      if (filled == outcomes.length) {
        errors -= outcomes[next] ? 1 : 0;
      } else {
        filled++;
      }
      outcomes[next] = error;
      errors += error ? 1 : 0;
      next = (next + 1) % outcomes.length;
    }
    if (asked) {
      return null;
    }
    RecycleReason reason = null;
    if (calls > 0 && answered >= calls) {
      reason = RecycleReason.CALLS;
    } else if (outcomes.length > 0 && filled == outcomes.length && errors > errorRate * outcomes.length) {
      reason = RecycleReason.ERROR_RATE;
    }
    asked = reason != null;
    return reason;
  }

  /**
   * Why a worker of age {@code ageNanos} is due, or null; {@code residentBytes} is read only when a
   * memory threshold is set, since it costs a walk of /proc.
   */
  public RecycleReason dueByAgeOrMemory(long ageNanos, LongSupplier residentBytes) {
    if (this.ageNanos > 0 && ageNanos >= this.ageNanos) {
      return RecycleReason.AGE;
    }
    if (memoryBytes > 0 && residentBytes.getAsLong() > memoryBytes) {
      return RecycleReason.MEMORY;
    }
    return null;
  }
}
