package dev.snakepit.internal;

import dev.snakepit.PoolStats;
import dev.snakepit.RecycleReason;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/** Adds up the counts of a pool's generations (see {@link Generations}). */
final class PoolStatsSum {
  private PoolStatsSum() {}

  /**
   * {@code base} with the counters of {@code other} added, and, when {@code live}, its workers alive,
   * busy workers, queued calls, sessions and streams too; its idle and starting workers are left out,
   * since they take no new call.
   */
  static PoolStats plus(PoolStats base, PoolStats other, boolean live) {
    Map<RecycleReason, Long> recycles = new EnumMap<>(base.recycles());
    other.recycles().forEach((reason, n) -> recycles.merge(reason, n, Long::sum));
    int l = live ? 1 : 0;
    return new PoolStats(base.pool(), base.state(), base.targetSize(), base.workers() + l * other.workers(), base.idle(),
        base.busy() + l * other.busy(), base.starting(), base.queued() + l * other.queued(),
        base.callsSucceeded() + other.callsSucceeded(), base.callsFailed() + other.callsFailed(),
        base.callsRetried() + other.callsRetried(), base.workersStarted() + other.workersStarted(),
        base.workersCrashed() + other.workersCrashed(), base.workersReplaced() + other.workersReplaced(), base.uptime(),
        base.crashLooping(), recycles, base.limits(), base.sessions() + l * other.sessions(), base.streams() + l * other.streams(),
        base.streamItems() + other.streamItems());
  }

  /** The counters of {@code stats} alone, its counts of the moment zero. */
  static PoolStats countersOnly(PoolStats s) {
    return new PoolStats(s.pool(), PoolStats.State.CLOSED, 0, 0, 0, 0, 0, 0, s.callsSucceeded(), s.callsFailed(), s.callsRetried(),
        s.workersStarted(), s.workersCrashed(), s.workersReplaced(), Duration.ZERO, false, s.recycles(), s.limits(), 0, 0,
        s.streamItems());
  }

  static PoolStats withUptime(PoolStats s, Duration uptime) {
    return new PoolStats(s.pool(), s.state(), s.targetSize(), s.workers(), s.idle(), s.busy(), s.starting(), s.queued(),
        s.callsSucceeded(), s.callsFailed(), s.callsRetried(), s.workersStarted(), s.workersCrashed(), s.workersReplaced(), uptime,
        s.crashLooping(), s.recycles(), s.limits(), s.sessions(), s.streams(), s.streamItems());
  }
}
