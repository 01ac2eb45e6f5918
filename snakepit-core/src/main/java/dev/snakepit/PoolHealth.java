package dev.snakepit;

import java.util.List;
import java.util.Objects;

/**
 * Whether a pool is alive and whether it is ready to serve, with the reasons when it is not: for
 * liveness and readiness probes, health endpoints and dashboards. {@code docs/operations.md} lists the
 * rules.
 *
 * <ul>
 *   <li><b>Live</b> while the pool runs its own supervision: it is not closed, and its control loop
 *       has not failed. A pool that is not live does not recover by itself; restart the application.
 *   <li><b>Ready</b> while it is live and running, at least one worker is ready to take a call, it is
 *       not crash-looping, and its workers crashed less often than {@link PoolConfig#maxCrashRate()}
 *       over the last minute. A pool that is not ready may recover by itself,
 *       once its workers stay up.
 * </ul>
 *
 * @param live whether the pool is alive
 * @param ready whether the pool is ready to serve
 * @param reasons why it is not ready (or not live), one sentence each; empty when it is ready
 * @param crashRate worker crashes per second over the last minute
 * @param stats the pool's counts when the health was taken
 */
public record PoolHealth(boolean live, boolean ready, List<String> reasons, double crashRate, PoolStats stats) {
  public PoolHealth {
    reasons = List.copyOf(reasons);
    Objects.requireNonNull(stats, "stats");
  }

  /** The same as {@link #ready()}: whether the pool serves as it should. */
  public boolean healthy() {
    return ready;
  }

  /** The reasons in one line, or how many workers are ready when nothing is wrong. */
  public String detail() {
    if (!reasons.isEmpty()) {
      return String.join("; ", reasons);
    }
    return (stats.idle() + stats.busy()) + " of " + stats.targetSize() + " workers of pool '" + stats.pool() + "' are ready";
  }
}
