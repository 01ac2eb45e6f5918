package dev.snakepit.internal.dispatch;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * Who reads one worker's data socket (ADR 0002): exactly one thread while the worker runs a call,
 * nobody while it is idle, and nobody ever again once its connection has ended.
 *
 * <p>Confined to the dispatcher's lock: every method is called with it held, and the class takes no
 * lock of its own. The holder changes only along {@link Holder#canMoveTo}; an illegal change is a bug
 * in the dispatcher and throws. Once {@link Holder#ENDED}, the hand-overs that follow a call
 * ({@link #giveTo}, {@link #release}) leave it ended, since a dead connection must never be read again.
 */
final class ReadingRole {
  /** Who holds the role. */
  enum Holder {
    /** Nobody: the worker is idle, or runs no call. */
    NONE,
    /** The synchronous caller whose call the worker runs. */
    CALLER,
    /** The worker's reader thread. */
    READER,
    /** Nobody ever again: the connection ended or the worker is gone. */
    ENDED;

    /**
     * The allowed changes. A reply is read by the caller or the reader thread, and the next queued call
     * may go to either, so both hand the role to each other and to themselves.
     */
    boolean canMoveTo(Holder next) {
      return switch (this) {
        case NONE -> next == CALLER || next == READER || next == ENDED;
        case CALLER, READER -> true;
        case ENDED -> next == ENDED;
      };
    }
  }

  private Holder holder = Holder.NONE;
  /** Signalled when the role goes to the reader thread or ends; made on first use from the dispatcher's lock. */
  private Condition readerTurn;
  /** Signalled when nobody holds the role any more (none, or ended); made on first use from the dispatcher's lock. */
  private Condition settled;

  Holder holder() {
    return holder;
  }

  boolean ended() {
    return holder == Holder.ENDED;
  }

  /** A call starts on the worker: its caller reads the reply, or else the reader thread does. */
  void giveTo(boolean caller) {
    if (!ended()) {
      moveTo(caller ? Holder.CALLER : Holder.READER);
    }
  }

  /** The worker has no call left to read a reply of. */
  void release() {
    if (!ended()) {
      moveTo(Holder.NONE);
    }
  }

  /** Nobody reads the socket again; a reader thread waiting for its turn ends. */
  void end() {
    moveTo(Holder.ENDED);
  }

  /**
   * Blocks the reader thread, which holds {@code lock}, until it holds the role; false once the role
   * has ended.
   */
  boolean awaitReaderTurn(Lock lock) throws InterruptedException {
    while (holder != Holder.READER) {
      if (holder == Holder.ENDED) {
        return false;
      }
      if (readerTurn == null) {
        readerTurn = lock.newCondition();
      }
      readerTurn.await();
    }
    return true;
  }

  /**
   * Waits, holding {@code lock}, at most {@code nanos} until nobody holds the role: the reply being
   * read has been read, or the connection ended. True when nobody does.
   */
  boolean awaitSettled(Lock lock, long nanos) throws InterruptedException {
    while (holder == Holder.CALLER || holder == Holder.READER) {
      if (nanos <= 0) {
        return false;
      }
      if (settled == null) {
        settled = lock.newCondition();
      }
      nanos = settled.awaitNanos(nanos);
    }
    return true;
  }

  private void moveTo(Holder next) {
    if (!holder.canMoveTo(next)) {
      throw new IllegalStateException("the reading role cannot go from " + holder + " to " + next);
    }
    holder = next;
    if ((next == Holder.READER || next == Holder.ENDED) && readerTurn != null) {
      readerTurn.signal();
    }
    if ((next == Holder.NONE || next == Holder.ENDED) && settled != null) {
      settled.signalAll();
    }
  }
}
