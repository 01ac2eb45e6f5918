package dev.snakepit.spring;

import dev.snakepit.PoolHealth;
import dev.snakepit.PoolStats;
import dev.snakepit.Snakepit;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The health of one pool, from {@link Snakepit#health()}: {@code UP} while it is ready,
 * {@code OUT_OF_SERVICE} while it is live but not ready (it may recover by itself: no worker ready yet,
 * crash-looping, crashing too often), {@code DOWN} once it is not live (closed, or its control loop
 * failed: only a restart helps). The details carry the reasons and the pool's counts.
 */
final class PoolHealthIndicator extends AbstractHealthIndicator {
  private final Snakepit pool;

  PoolHealthIndicator(Snakepit pool) {
    super(e -> "Health of pool '" + pool.config().name() + "' could not be read");
    this.pool = pool;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    PoolHealth health = pool.health();
    PoolStats stats = health.stats();
    builder.status(status(health))
        .withDetail("pool", stats.pool())
        .withDetail("state", stats.state())
        .withDetail("generation", pool.generation())
        .withDetail("live", health.live())
        .withDetail("ready", health.ready())
        .withDetail("reasons", health.reasons())
        .withDetail("targetSize", stats.targetSize())
        .withDetail("workers", stats.workers())
        .withDetail("idle", stats.idle())
        .withDetail("busy", stats.busy())
        .withDetail("starting", stats.starting())
        .withDetail("queued", stats.queued())
        .withDetail("crashLooping", stats.crashLooping())
        .withDetail("crashRate", health.crashRate())
        .withDetail("workersCrashed", stats.workersCrashed())
        .withDetail("callsSucceeded", stats.callsSucceeded())
        .withDetail("callsFailed", stats.callsFailed());
  }

  static Status status(PoolHealth health) {
    if (health.healthy()) {
      return Status.UP;
    }
    return health.live() ? Status.OUT_OF_SERVICE : Status.DOWN;
  }
}
