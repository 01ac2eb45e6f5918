package dev.snakepit.internal.dispatch;

import dev.snakepit.internal.Ticker;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands each worker's {@linkplain ReadingRole reading role} (ADR 0002) between the threads that read
 * its replies: a synchronous caller, which reads its own reply and is answered without waking any other
 * thread (a queued one is woken when its call gets a worker); or the worker's reader thread, for
 * asynchronous calls, callers on virtual threads, and a reply whose caller stopped waiting. Nobody reads
 * an idle worker's socket; its death is seen through its process's exit.
 *
 * <p>Uses the dispatcher's lock and has none of its own. {@link #give} and {@link #end} are called with
 * it held, as part of the dispatcher's hand-overs; {@link #awaitReaderTurn} and a caller that stops
 * without its reply take it; a caller that read its reply is done without it.
 */
final class ReadingHandOff {
  private final ReentrantLock lock;
  private final Ticker ticker;

  /** Hand-offs under the dispatcher's {@code lock}; a caller reading its reply measures its wait with {@code ticker}. */
  ReadingHandOff(ReentrantLock lock, Ticker ticker) {
    this.lock = lock;
    this.ticker = ticker;
  }

  /**
   * The worker was given {@code call}: its reading role goes to the call's caller if it reads its own
   * reply, or else to the worker's reader thread; always to the reader thread while the worker runs
   * calls in lanes, since it may be reading their replies now. Under lock; whoever sends the call then
   * wakes a caller parked for a worker.
   */
  void give(WorkerSlot slot, PendingCall call) {
    if (!slot.role.ended()) {
      boolean callerReads = call.callerReads && slot.replies != null && slot.lanes.isEmpty();
      slot.role.giveTo(callerReads);
      if (callerReads) {
        call.readingFrom = slot; // a caller parked for a worker is woken once the call is sent
      }
    }
  }

  /** Nobody reads the worker's socket again; its reader thread, if waiting for a turn, ends. Under lock. */
  void end(WorkerSlot slot) {
    slot.role.end();
    if (slot.current != null) {
      slot.current.readingFrom = null;
    }
  }

  /** A caller reading its own reply from the worker stops waiting on the worker's socket; after {@link #end}. */
  static void wake(WorkerSlot slot) {
    if (slot.replies != null) {
      slot.replies.wake();
    }
  }

  /** See {@link Dispatcher#readOwnReply}, which this is. */
  void readOwnReply(PendingCall call, long deadlineNanos) throws InterruptedException {
    if (!call.callerReads) {
      return; // submitted without readsOwnReply (only the calling thread writes the flag)
    }
    try {
      WorkerSlot slot = call.awaitReadingSlot(deadlineNanos, ticker);
      while (slot != null && !call.future.isDone()) {
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        long left = deadlineNanos - ticker.nanoTime();
        if (left <= 0) {
          return;
        }
        if (slot.replies.await(left) && !slot.replies.readOne()) {
          if (Thread.interrupted()) {
            throw new InterruptedException(); // the read was interrupted, and the JDK closed the socket
          }
          return;
        }
      }
    } finally {
      stopReading(call);
    }
  }

  /** See {@link Dispatcher#awaitReadingTurn}, which this is. */
  boolean awaitReaderTurn(WorkerSlot slot) throws InterruptedException {
    lock.lock();
    try {
      return slot.role.awaitReaderTurn(lock);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The caller stops waiting: a call that gets a worker later is read by the reader thread, and a
   * reading role the caller still holds goes to the reader thread, which reads the late reply.
   */
  private void stopReading(PendingCall call) {
    if (call.readingFrom == null && call.future.isDone()) {
      return; // the usual end: the caller read its reply; an answered call is in no queue to be assigned from
    }
    lock.lock();
    try {
      call.callerReads = false;
      WorkerSlot slot = call.readingFrom;
      if (slot == null) {
        return;
      }
      call.readingFrom = null;
      if (slot.role.holder() == ReadingRole.Holder.CALLER) {
        if (!slot.idle()) {
          slot.role.giveTo(false);
        } else {
          slot.role.release();
        }
      }
    } finally {
      lock.unlock();
    }
  }
}
