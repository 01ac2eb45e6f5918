package dev.snakepit.internal.dispatch;

import dev.snakepit.internal.Ticker;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * The workers running a call, possibly one already abandoned by its caller: starts a worker on a call
 * and takes the call back, and lets a closing pool wait until no worker runs one. Invariant: it holds
 * exactly the workers with a current call or a call in a {@linkplain Lanes lane}, and each such call
 * names its worker.
 *
 * <p>Confined to the dispatcher's lock: every method is called with it held, except the two named
 * {@code ...Locking}, which take it; {@link #awaitNone} waits on a condition of that lock.
 */
final class BusyWorkers implements Iterable<WorkerSlot> {
  private final Set<WorkerSlot> slots = new HashSet<>();
  private final Lock lock;
  /** Signalled when the last busy worker is released. */
  private final Condition none;
  private final Ticker ticker;
  private final DeadlineSweep deadlines;

  /** Busy workers under the dispatcher's {@code lock}, whose calls' deadlines {@code deadlines} expires. */
  BusyWorkers(Lock lock, Ticker ticker, DeadlineSweep deadlines) {
    this.lock = lock;
    this.none = lock.newCondition();
    this.ticker = ticker;
    this.deadlines = deadlines;
  }

  /**
   * The worker starts on {@code call}: the call gets a request id on its connection (one written ahead
   * to it has one already), and its run and its deadline start now.
   */
  void start(WorkerSlot slot, PendingCall call) {
    slot.current = call;
    slots.add(slot);
    call.slot = slot;
    if (call.aheadOn == slot) {
      call.aheadOn = null;
    } else {
      call.requestId = ++slot.lastRequestId;
    }
    call.checkoutNanos = ticker.nanoTime();
    call.deadlineNanos = DeadlineSweep.after(call.checkoutNanos, call.timeout);
    deadlines.sweepBy(call.deadlineNanos);
  }

  /** The worker has its current call no more: it was answered, never received, or the worker is gone. */
  void release(WorkerSlot slot) {
    slot.current.slot = null;
    slot.current = null;
    ended(slot);
  }

  /** The worker started a call in a lane ({@link Lanes#start}). */
  void startLane(WorkerSlot slot) {
    slots.add(slot);
  }

  /** A call in one of the worker's lanes ended, or they all did (the worker is gone), and left it. */
  void ended(WorkerSlot slot) {
    if (slot.idle()) {
      slots.remove(slot);
      if (slots.isEmpty()) {
        none.signalAll();
      }
    }
  }

  /** Whether workers are busy and each one's call waits for a host function. */
  boolean allWaitingForHost() {
    return !slots.isEmpty() && slots.stream().allMatch(s -> s.current != null && s.current.hostThreads != null
        && !s.current.hostThreads.isEmpty());
  }

  /** How many of the busy workers run a streamed call. */
  int streaming() {
    int streams = 0;
    for (WorkerSlot slot : slots) {
      streams += slot.current != null && slot.current.stream != null ? 1 : 0;
    }
    return streams;
  }

  /**
   * How many of the busy workers run calls in lanes only: with no current call, they are also idle,
   * free to take one. Retired and draining workers are never idle.
   */
  int idleWithLanes() {
    int count = 0;
    for (WorkerSlot slot : slots) {
      count += slot.current == null && !slot.retired && !slot.draining ? 1 : 0;
    }
    return count;
  }

  int size() {
    return slots.size();
  }

  /** Takes the lock and says whether {@code slot} runs a call now. */
  boolean runningLocking(WorkerSlot slot) {
    lock.lock();
    try {
      return !slot.idle();
    } finally {
      lock.unlock();
    }
  }

  /** Takes the lock and waits until no worker runs a call, or {@code timeout} passes; true if none runs. */
  boolean awaitNoneLocking(Duration timeout) throws InterruptedException {
    lock.lock();
    try {
      return awaitNone(timeout.toNanos());
    } finally {
      lock.unlock();
    }
  }

  /** Waits until no worker runs a call, or {@code nanos} pass; true if none runs. Under the lock. */
  boolean awaitNone(long nanos) throws InterruptedException {
    while (!slots.isEmpty()) {
      if (nanos <= 0) {
        return false;
      }
      nanos = none.awaitNanos(nanos);
    }
    return true;
  }

  @Override
  public Iterator<WorkerSlot> iterator() {
    return slots.iterator();
  }
}
