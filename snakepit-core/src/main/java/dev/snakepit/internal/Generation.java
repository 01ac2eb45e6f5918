package dev.snakepit.internal;

import dev.snakepit.PoolStats;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.SessionEvent;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One generation of a pool's workers, and the callers inside it. A caller {@linkplain #enter enters}
 * the generation serving before it hands it a call and {@linkplain #exit exits} once the call is over;
 * once a reload has {@linkplain #retire retired} the generation, no caller enters it again, so it can be
 * stopped when the last one has left and its sessions have closed, and no caller ever meets it closed.
 */
public final class Generation {
  /** Added to the count of callers inside when the generation is retired: the count is negative from then on. */
  private static final long RETIRED = Long.MIN_VALUE;
  /** How often a drain looks again without being woken. */
  private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final PoolCore core;
  private final int number;
  private final AtomicLong callers = new AtomicLong();
  /** Released whenever something the drain waits for may have ended. */
  private final Semaphore changes = new Semaphore(0);
  private final PoolListener watcher = new PoolListener() {
    @Override
    public void checkin(CallEvent event) {
      changes.release();
    }

    @Override
    public void callStop(CallEvent event) {
      changes.release();
    }

    @Override
    public void sessionClose(SessionEvent event) {
      changes.release();
    }

    @Override
    public void sessionLost(SessionEvent event) {
      changes.release();
    }

  };

  Generation(PoolCore core, int number) {
    this.core = core;
    this.number = number;
  }

  public PoolCore core() {
    return core;
  }

  /** 1 for the workers a pool started with, 2 after its first reload ... */
  public int number() {
    return number;
  }

  /** Counts a caller in, unless the generation is retired; returns whether it did. */
  boolean enter() {
    if (callers.incrementAndGet() < 0) {
      exit();
      return false;
    }
    return true;
  }

  /** Counts out a caller that {@linkplain #enter entered}. */
  public void exit() {
    if (callers.decrementAndGet() == RETIRED) {
      changes.release();
    }
  }

  /** Lets no caller in any more, and starts watching what the drain waits for. */
  void retire() {
    core.events().add(watcher);
    if (callers.addAndGet(RETIRED) == RETIRED) {
      changes.release();
    }
  }

  /** Wakes the drain, to look again: its generation was closed. */
  void wake() {
    changes.release();
  }

  /**
   * Whether a retired generation has nothing left to finish: no caller inside, and no session open, no
   * call running, queued or streaming (or it is closed already).
   */
  boolean drained() {
    if (callers.get() != RETIRED) {
      return false;
    }
    var stats = core.stats();
    return stats.state() == PoolStats.State.CLOSED
        || stats.sessions() == 0 && stats.busy() == 0 && stats.queued() == 0 && stats.streams() == 0;
  }

  /** Waits until {@link #drained()} holds or the deadline (in {@code ticker}'s terms) passes; returns whether it holds. */
  boolean awaitDrained(long deadlineNanos, Ticker ticker) throws InterruptedException {
    while (!drained()) {
      long left = deadlineNanos - ticker.nanoTime();
      if (left <= 0) {
        return false;
      }
      // Woken by the events that end calls and sessions; and every RECHECK_NANOS all the same, since a
      // session's worker lets go of it only after its close has been answered, later than its event.
      if (changes.tryAcquire(Math.min(left, RECHECK_NANOS), TimeUnit.NANOSECONDS)) {
        changes.drainPermits();
      }
    }
    return true;
  }
}
