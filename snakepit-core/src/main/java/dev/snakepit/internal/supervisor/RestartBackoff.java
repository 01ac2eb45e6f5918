package dev.snakepit.internal.supervisor;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before replacing a worker. A worker that served and then died is replaced at once;
 * one that died before it was ready (an import that fails only sometimes, a machine out of memory)
 * makes the next attempt wait, doubling from {@code initial} up to {@code max}, with +-20% jitter so
 * that pools do not retry in step. Confined to the control loop.
 */
final class RestartBackoff {
  private final long initialMillis;
  private final long maxMillis;
  private int failures;

  RestartBackoff(Duration initial, Duration max) {
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
  }

  /** The delay before the next start, given whether the last worker failed to start. */
  long next(boolean failedToStart) {
    if (!failedToStart) {
      failures = 0;
      return 0;
    }
    failures++;
    long base = initialMillis << Math.min(failures - 1, 20);
    long capped = Math.min(maxMillis, base);
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Math.round(capped * jitter);
  }

  /** A worker became ready: the next failure starts from the initial delay again. */
  void reset() {
    failures = 0;
  }

  int failures() {
    return failures;
  }
}
