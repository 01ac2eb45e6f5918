package dev.snakepit.internal.dispatch;

import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Cancels calls: one its caller gives up on, and one whose deadline passed. A queued call just leaves
 * the queue, and one past its acquire timeout fails with it. For a running call it sends CANCEL on the
 * worker's control plane, then watches that the worker stops within the cancel grace: a worker still
 * running the call {@link Dispatcher#STACK_DUMP_LEAD} before the grace ends is asked for its stacks,
 * and one still running it when the grace ends is reported {@linkplain DispatchHost#broken broken},
 * so that a call never keeps a worker busy forever.
 *
 * <p>A cancelled call is answered at once. A timed-out one is answered when the cancel lands (its reply
 * carries the traceback of where the tool was) or when the worker is killed after the grace (its error
 * carries the worker's death); see {@link #lostPastDeadline}.
 *
 * <p>Takes the dispatcher's lock, never one of its own, and only to take the call out of the
 * {@link Checkout} or mark it abandoned, and to check that it still runs; the cancel is sent and the
 * checks are scheduled outside it, on the pool's control-loop executor.
 */
final class Cancellation {
  private final ReentrantLock lock;
  private final Checkout checkout;
  private final Duration acquireTimeout;
  private final Duration cancelGrace;
  private final ScheduledExecutorService timer;
  private final DispatchHost host;
  private final CallFailures failures;
  private final CallCompletion completion;
  /** Whether every busy worker's call waits for a host function; asked under the lock. */
  private final BooleanSupplier allWaitingForHost;

  /** Cancels under the dispatcher's {@code lock}, of calls waiting in {@code checkout}; checks are scheduled on {@code timer}. */
  Cancellation(ReentrantLock lock, Checkout checkout, DispatchLimits limits, ScheduledExecutorService timer,
      DispatchHost host, CallFailures failures, CallCompletion completion, BooleanSupplier allWaitingForHost) {
    this.allWaitingForHost = allWaitingForHost;
    this.lock = lock;
    this.checkout = checkout;
    this.acquireTimeout = limits.acquireTimeout();
    this.cancelGrace = limits.cancelGrace();
    this.timer = timer;
    this.host = host;
    this.failures = failures;
    this.completion = completion;
  }

  /** See {@link Dispatcher#cancel}, which this is. */
  void cancel(PendingCall call, String why) {
    boolean queued;
    WorkerSlot slot;
    WorkerSlot behind;
    lock.lock();
    try {
      queued = checkout.leave(call);
      behind = queued ? null : leaveAhead(call);
      slot = call.slot;
      if (!queued && behind == null && (slot == null || !slot.runs(call) || call.abandoned)) {
        return;
      }
      if (!queued) {
        call.abandoned = true;
        call.interruptHostThreads();
      }
    } finally {
      lock.unlock();
    }
    if (queued || behind != null) {
      completion.failCheckout(call, failures.cancelledWhileWaiting(call, why));
      if (behind != null) {
        behind.control.cancel(call.requestId, "cancelled");
      }
    } else {
      completion.fail(call, slot.id, failures.cancelledWhileRunning(slot, call, why));
      cancelAndWatch(slot, call, "cancelled");
    }
  }

  /** The sweep found {@code call} past its deadline; nothing happens if it ended or was answered since. */
  void deadlinePassed(PendingCall call) {
    WorkerSlot slot;
    lock.lock();
    try {
      slot = call.slot;
      if (slot == null || !slot.runs(call) || call.abandoned) {
        return;
      }
      call.abandoned = true;
      call.interruptHostThreads();
      call.timedOut = failures.timedOut(slot, call);
    } finally {
      lock.unlock();
    }
    // The caller waits for the cancel to land (at most the cancel grace, then the worker's stack dump
    // and death), so that its TIMEOUT says where the tool was stuck.
    cancelAndWatch(slot, call, "timeout");
  }

  /** The sweep found queued {@code call} past its acquire timeout; nothing happens if it left the queue since. */
  void waitedTooLong(PendingCall call) {
    boolean hostWait;
    WorkerSlot behind = null;
    lock.lock();
    try {
      if (!checkout.leave(call) && (behind = leaveAhead(call)) == null) {
        return;
      }
      hostWait = allWaitingForHost.getAsBoolean();
    } finally {
      lock.unlock();
    }
    completion.failCheckout(call, failures.waitedTooLong(call, acquireTimeout, hostWait));
    if (behind != null) {
      behind.control.cancel(call.requestId, "timeout");
    }
  }

  /**
   * Ends the wait of a call written ahead to a busy worker: it stays there, abandoned, until the worker
   * comes to it and skips it. Returns that worker, or null when the call does not wait ahead. Under lock.
   */
  private static WorkerSlot leaveAhead(PendingCall call) {
    WorkerSlot behind = call.abandoned ? null : call.aheadOn;
    if (behind != null) {
      call.abandoned = true;
      call.checkedOut = true; // its checkout ends with this answer, not when it comes up
    }
    return behind;
  }

  /**
   * A call written ahead and answered while it waited has begun on {@code slot}: the worker, told to
   * skip it, answers it CANCELLED; it is watched as any cancelled call, so that it never holds the worker.
   */
  void begunCancelled(WorkerSlot slot, PendingCall call) {
    cancelAndWatch(slot, call, "cancelled");
  }

  /**
   * The error for {@code call}, whose worker {@code slot} died under it with {@code lost}: a call past
   * its deadline ends with a TIMEOUT that says the worker was killed for overrunning the grace.
   */
  SnakepitException lostPastDeadline(WorkerSlot slot, PendingCall call, SnakepitException lost) {
    return call.timedOut == null ? lost : failures.killedPastDeadline(slot, call, cancelGrace, lost);
  }

  /** Tells the worker to stop the call, and reports it broken if it still runs it after the cancel grace. */
  private void cancelAndWatch(WorkerSlot slot, PendingCall call, String reason) {
    slot.control.cancel(call.requestId, reason);
    long grace = cancelGrace.toNanos();
    long lead = Dispatcher.STACK_DUMP_LEAD.toNanos();
    if (grace > 2 * lead) {
      timer.schedule(() -> {
        if (stillRunning(slot, call)) {
          host.dumpStacksAhead(slot);
        }
      }, grace - lead, TimeUnit.NANOSECONDS);
    }
    timer.schedule(() -> {
      if (stillRunning(slot, call)) {
        host.broken(slot, CallFailures.overranCancel(call, cancelGrace), WorkerExit.PoolReason.DEADLINE);
      }
    }, grace, TimeUnit.NANOSECONDS);
  }

  private boolean stillRunning(WorkerSlot slot, PendingCall call) {
    lock.lock();
    try {
      return slot.runs(call);
    } finally {
      lock.unlock();
    }
  }
}
