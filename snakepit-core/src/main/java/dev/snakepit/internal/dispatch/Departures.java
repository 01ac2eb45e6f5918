package dev.snakepit.internal.dispatch;

import dev.snakepit.SnakepitException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Workers leaving the dispatcher: one retired, which finishes the calls it has and gets no more, and
 * one that died, whose calls fail (or, if they never began there, go to another worker). See
 * {@link Dispatcher#retire}, {@link Dispatcher#awaitLastReplies} and {@link Dispatcher#gone}.
 *
 * <p>Takes the dispatcher's lock for each change, and answers calls without it.
 */
final class Departures {
  private final Dispatcher dispatcher;
  private final ReentrantLock lock;
  private final ReadingHandOff reading;
  private final BusyWorkers busy;
  private final Lanes lanes;
  private final AheadCalls ahead;
  private final HostCalls hostCalls;
  private final Resending resending;
  private final Cancellation cancels;
  private final CallCompletion completion;
  private final CallFailures failures;
  private final SessionPlacement sessions;

  Departures(Dispatcher dispatcher, ReentrantLock lock, ReadingHandOff reading, BusyWorkers busy, Lanes lanes,
      AheadCalls ahead, HostCalls hostCalls, Resending resending, Cancellation cancels, CallCompletion completion,
      CallFailures failures, SessionPlacement sessions) {
    this.dispatcher = dispatcher;
    this.lock = lock;
    this.reading = reading;
    this.busy = busy;
    this.lanes = lanes;
    this.ahead = ahead;
    this.hostCalls = hostCalls;
    this.resending = resending;
    this.cancels = cancels;
    this.completion = completion;
    this.failures = failures;
    this.sessions = sessions;
  }

  /** See {@link Dispatcher#retire(WorkerSlot, Runnable)}, which this is. */
  void retire(WorkerSlot slot, Runnable idle) {
    Withdrawal withdrawn;
    boolean idleNow;
    lock.lock();
    try {
      withdrawn = dispatcher.withdraw(slot);
      idleNow = idle != null && slot.idle();
      if (idle != null && !idleNow) {
        slot.onIdle = idle;
      }
    } finally {
      lock.unlock();
    }
    withdrawn.settle("is stopping", completion, failures, sessions);
    if (idleNow) {
      idle.run();
    }
  }

  /** See {@link Dispatcher#awaitLastReplies}, which this is. */
  void awaitLastReplies(WorkerSlot slot, Duration timeout) throws InterruptedException {
    lock.lock();
    try {
      slot.role.awaitSettled(lock, timeout.toNanos());
    } finally {
      lock.unlock();
    }
  }

  /** See {@link Dispatcher#gone}, which this is. */
  void gone(WorkerSlot slot, Function<String, SnakepitException> errorFor) {
    Withdrawal withdrawn;
    List<PendingCall> nested;
    List<PendingCall> back;
    List<PendingCall> running = new ArrayList<>();
    lock.lock();
    try {
      withdrawn = dispatcher.withdraw(slot);
      slot.onIdle = null;
      reading.end(slot);
      nested = hostCalls.workerGone(slot);
      back = ahead.takeBack(slot);
      if (slot.current != null) {
        running.add(slot.current);
        busy.release(slot);
      }
      running.addAll(lanes.gone(slot));
    } finally {
      lock.unlock();
    }
    ReadingHandOff.wake(slot); // a caller reading its own reply stops waiting on the dead worker's socket
    withdrawn.settle("died", completion, failures, sessions);
    nested.forEach(inner -> completion.fail(inner, slot.id, errorFor.apply(inner.tool)));
    running.forEach(lost -> completion.fail(lost, slot.id, cancels.lostPastDeadline(slot, lost, errorFor.apply(lost.tool))));
    resending.resend(slot, back);
  }
}
