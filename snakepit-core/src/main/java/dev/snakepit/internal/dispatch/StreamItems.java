package dev.snakepit.internal.dispatch;

import dev.snakepit.internal.protocol.Frame;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The items of one streamed call (docs/protocol.md, section 4.13) between the thread reading its
 * worker's socket and the one consumer taking them, with the credit that bounds them.
 *
 * <p>Invariant, under {@link #lock}: {@code outstanding + items.size() + taken == credit} until the
 * stream ends. The worker holds {@code outstanding}; each CHUNK it sends moves one unit into the buffer,
 * and each item the consumer takes moves one into {@code taken}, which goes back to the worker in one
 * CREDIT frame once it reaches half the credit. So the buffer never holds more than the credit, the
 * reading thread never waits for the consumer, and a consumer waiting on an empty buffer always leaves
 * the worker more than half its credit.
 *
 * <p>Takes no lock but its own. The grant is written outside it, by the consumer's thread.
 */
public final class StreamItems {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final int credit;
  private final int grantAt;
  /** Guarded by lock. */
  private final ArrayDeque<Frame> items = new ArrayDeque<>();
  /** Guarded by lock. */
  private int outstanding;
  /** Guarded by lock. */
  private int taken;
  /** Guarded by lock: set when the call has been answered, with its error if it failed. */
  private boolean ended;
  /** Guarded by lock. */
  private Throwable failure;
  /** Guarded by lock: set when the consumer stopped reading; items that arrive later are dropped. */
  private boolean closed;
  /** Writes a CREDIT frame; set before the consumer takes its first item. */
  private volatile IntConsumer grant = n -> {};

  /** Counts every item that arrives, the pool's total of streamed items. */
  private final LongAdder arrivals;

  /** A stream that grants {@code credit} items at first and whenever the consumer has taken half of it. */
  public StreamItems(int credit) {
    this(credit, new LongAdder());
  }

  /** A stream of {@code credit} whose items are counted in {@code arrivals} as they arrive. */
  public StreamItems(int credit, LongAdder arrivals) {
    this.arrivals = arrivals;
    this.credit = credit;
    this.grantAt = Math.max(1, credit / 2);
    this.outstanding = credit;
  }

  /** The credit the stream's CALL frame grants. */
  public int credit() {
    return credit;
  }

  /** Sends the credit the consumer returns; called outside any lock, on the consumer's thread. */
  public void grantWith(IntConsumer sender) {
    this.grant = sender;
  }

  /**
   * A CHUNK of the stream arrived, on the thread reading the worker; false when the worker had no
   * credit left for it, a violation of the protocol.
   */
  boolean offer(Frame chunk) {
    lock.lock();
    try {
      if (outstanding == 0) {
        return false;
      }
      outstanding--;
      arrivals.increment();
      if (!closed) {
        items.add(chunk);
        arrived.signal();
      } else {
        chunk.release(); // the consumer stopped reading: the item is dropped, its shared memory with it
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** The call was answered: after the items buffered, the stream ends, with {@code error} if not null. */
  public void end(Throwable error) {
    lock.lock();
    try {
      ended = true;
      failure = error;
      arrived.signal();
    } finally {
      lock.unlock();
    }
  }

  /** The consumer stopped reading: the buffer is dropped, and a consumer waiting wakes with nothing. */
  public void close() {
    lock.lock();
    try {
      closed = true;
      items.forEach(Frame::release);
      items.clear();
      arrived.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The next item, waiting at most {@code nanos} for one; null when none came in time, or when the
   * stream is over ({@link #over}). Returns credit to the worker as it goes.
   */
  public Frame take(long nanos) throws InterruptedException {
    Frame next;
    int granted = 0;
    lock.lock();
    try {
      while ((next = items.poll()) == null) {
        if (ended || closed || nanos <= 0) {
          return null;
        }
        nanos = arrived.awaitNanos(nanos);
      }
      if (++taken >= grantAt && !ended && !closed) {
        granted = taken;
        outstanding += granted;
        taken = 0;
      }
    } finally {
      lock.unlock();
    }
    if (granted > 0) {
      grant.accept(granted);
    }
    return next;
  }

  /** Whether no item is left to take: the call was answered and its items taken, or the consumer closed. */
  public boolean over() {
    lock.lock();
    try {
      return closed || (ended && items.isEmpty());
    } finally {
      lock.unlock();
    }
  }

  /** The error the call ended with, or null; read once {@link #over}. */
  public Throwable failure() {
    lock.lock();
    try {
      return failure;
    } finally {
      lock.unlock();
    }
  }
}
