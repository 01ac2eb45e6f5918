package dev.snakepit.internal.dispatch;

import dev.snakepit.internal.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Expires calls on time without a timer per call. Every call records its deadline (a running call's
 * timeout, a waiting call's acquire timeout); one sweep, scheduled for the earliest deadline pending,
 * finds whatever is due and schedules itself for the next. With uniform timeouts a new call's deadline
 * is never the earliest, so the steady state schedules nothing per call and wakes no timer thread.
 *
 * <p>Confined to the dispatcher's lock: {@link #sweepBy} and {@link #collect} are called with it held.
 * The sweep itself runs on the pool's control-loop executor, where the dispatcher takes its lock, calls
 * {@link #collect}, and expires the calls it returned after letting go of the lock.
 */
final class DeadlineSweep {
  private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE / 2);

  private final ScheduledExecutorService timer;
  private final Ticker ticker;
  private final Runnable sweep;
  /** The next sweep, or null when none is pending. */
  private ScheduledFuture<?> next;
  /** When {@link #next} runs, in {@link Ticker} terms. */
  private long nextAt;

  /** A sweep that runs {@code sweep} on {@code timer} at each deadline it is given. */
  DeadlineSweep(ScheduledExecutorService timer, Ticker ticker, Runnable sweep) {
    this.timer = timer;
    this.ticker = ticker;
    this.sweep = sweep;
  }

  /** The deadline {@code duration} after {@code fromNanos}, saturated at about 146 years so that it never overflows. */
  static long after(long fromNanos, Duration duration) {
    return fromNanos + (duration.compareTo(LONGEST) > 0 ? LONGEST.toNanos() : duration.toNanos());
  }

  /** Makes sure a sweep runs no later than {@code deadline}. */
  void sweepBy(long deadline) {
    if (next != null && deadline - nextAt >= 0) {
      return; // the common case: an earlier sweep is pending already
    }
    if (next != null) {
      next.cancel(false);
    }
    nextAt = deadline;
    try {
      next = timer.schedule(sweep, Math.max(0, deadline - ticker.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      next = null; // the pool has stopped its loop; its close answers every call that is left
    }
  }

  /**
   * The sweep is running: adds the running calls past their deadline to {@code late} and the waiting
   * calls past their acquire deadline to {@code waitedTooLong}, and schedules the next sweep for the
   * earliest deadline still pending. Calls whose caller has been answered already are skipped: the
   * cancel grace takes them from there.
   */
  void collect(Iterable<WorkerSlot> busy, Iterable<PendingCall> waiting, List<PendingCall> late, List<PendingCall> waitedTooLong) {
    next = null;
    long now = ticker.nanoTime();
    long earliest = 0;
    boolean pending = false;
    List<PendingCall> running = new ArrayList<>();
    for (WorkerSlot slot : busy) {
      if (slot.current != null) {
        running.add(slot.current);
      }
      running.addAll(slot.lanes.values());
    }
    for (PendingCall call : running) {
      if (call.abandoned) {
        continue;
      }
      if (now - call.deadlineNanos >= 0) {
        late.add(call);
      } else if (!pending || call.deadlineNanos - earliest < 0) {
        earliest = call.deadlineNanos;
        pending = true;
      }
    }
    for (PendingCall call : waiting) {
      if (now - call.acquireDeadlineNanos >= 0) {
        waitedTooLong.add(call);
      } else if (!pending || call.acquireDeadlineNanos - earliest < 0) {
        earliest = call.acquireDeadlineNanos;
        pending = true;
      }
    }
    if (pending) {
      sweepBy(earliest);
    }
  }
}
