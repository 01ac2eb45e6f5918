package dev.snakepit.internal.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Hands free workers to calls: the idle workers, most recently used first (it is the warmest), and the
 * calls waiting for one, oldest first. It decides whether a new call gets a worker, waits, or is
 * refused; which call a freed worker takes next; and what is left when the pool closes. Calls of strict
 * sessions wait in their worker's own queue ({@link WorkerSlot#pinned}), which that worker serves
 * before the shared one; the queue bound counts both.
 *
 * <p>Confined to the dispatcher's lock: every method is called with it held, and the class takes no
 * lock of its own, because each hand-over must be atomic with the worker's and the call's own state.
 * Invariants: a worker is idle only if it is not retired and runs no call; a waiting call has no worker.
 */
final class Checkout {
  /** What becomes of a new call. */
  enum Admission {
    /** A worker is free: {@link #takeIdle} gives it. */
    WORKER,
    /** No worker is free: the call is to wait in the queue. */
    WAIT,
    /** The pool is closed. */
    CLOSED,
    /** The wait queue is at its bound. */
    QUEUE_FULL,
    /** No worker is free and the acquire timeout is zero, so the call may not wait. */
    NO_WAITING,
    /** The only worker the call may run on gets no more calls. */
    WORKER_GONE
  }

  private final int maxQueue;
  private final boolean mayWait;
  /** Whether a worker may take one more session. */
  private final Predicate<WorkerSlot> room;
  private final ArrayDeque<WorkerSlot> idle = new ArrayDeque<>();
  private final ArrayDeque<PendingCall> queue = new ArrayDeque<>();
  /** The workers whose own queue is not empty. */
  private final Set<WorkerSlot> withPinned = new LinkedHashSet<>();
  private int pinnedCount;
  private boolean closed;

  /** A checkout whose queue holds at most {@code maxQueue} calls; none at all wait when {@code mayWait} is false. */
  Checkout(int maxQueue, boolean mayWait) {
    this(maxQueue, mayWait, slot -> true);
  }

  /** The same, where a session that may move goes only to a worker that has {@code room} for it, if it can. */
  Checkout(int maxQueue, boolean mayWait, Predicate<WorkerSlot> room) {
    this.maxQueue = maxQueue;
    this.mayWait = mayWait;
    this.room = room;
  }

  /** Decides for a new call; with {@link Admission#WAIT} the caller then {@linkplain #enqueue enqueues} it. */
  Admission admit() {
    if (closed) {
      return Admission.CLOSED;
    }
    if (!idle.isEmpty()) {
      return Admission.WORKER;
    }
    return mayWaitNow();
  }

  /**
   * Decides for a new call that may run only on {@code slot}: with {@link Admission#WORKER} the caller
   * then {@linkplain #take takes} that worker.
   */
  Admission admit(WorkerSlot slot) {
    if (closed) {
      return Admission.CLOSED;
    }
    if (slot.retired) {
      return Admission.WORKER_GONE;
    }
    if (slot.current == null && slot.pinned.isEmpty() && (slot.draining || idle.contains(slot))) {
      return Admission.WORKER; // a draining worker is never idle, but serves its sessions
    }
    return mayWaitNow();
  }

  /**
   * Decides for a new call that may run in a lane ({@link Lanes}): it does not take a free worker as
   * its current call, but a lane, and waits when it finds none; with {@link Admission#WAIT} the caller
   * looks for a lane first.
   */
  Admission admitToLane() {
    return closed ? Admission.CLOSED : mayWaitNow();
  }

  private Admission mayWaitNow() {
    if (waitingCount() >= maxQueue) {
      return Admission.QUEUE_FULL;
    }
    return mayWait ? Admission.WAIT : Admission.NO_WAITING;
  }

  /**
   * The worker for a call admitted with {@link Admission#WORKER}: any free one without a target; the
   * target's own when the call is pinned to it or it is free; else, for a session that may move, the
   * warmest free worker that has room for it, or the warmest.
   */
  WorkerSlot take(Target target) {
    if (target == null) {
      return takeIdle();
    }
    if (target.slot() != null && (idle.remove(target.slot()) || target.strict())) {
      return target.slot();
    }
    WorkerSlot roomy = takeIdle(room);
    return roomy != null ? roomy : takeIdle();
  }

  /** The warmest free worker that {@code suits}, or null when none does. */
  private WorkerSlot takeIdle(Predicate<WorkerSlot> suits) {
    for (Iterator<WorkerSlot> it = idle.iterator(); it.hasNext();) {
      WorkerSlot slot = it.next();
      if (suits.test(slot)) {
        it.remove();
        return slot;
      }
    }
    return null;
  }

  /** The warmest free worker, or null when none is free. */
  WorkerSlot takeIdle() {
    return idle.pollFirst();
  }

  /**
   * A worker is free: the oldest call waiting for it alone, else the oldest waiting call, which it must
   * take (the caller assigns it), or null, and then it is idle.
   */
  PendingCall free(WorkerSlot slot) {
    PendingCall next = slot.retired ? null : slot.pinned.pollFirst();
    if (next != null) {
      unpinned(slot);
      return next;
    }
    if (slot.draining) {
      return null; // it serves only its sessions now
    }
    if (!slot.retired) {
      next = queue.pollFirst();
    }
    if (next == null && !slot.retired) {
      idle.push(slot);
    }
    return next;
  }

  /** The oldest call waiting for any worker, taken out of the queue, if it {@code suits}; else null. */
  PendingCall pollIf(Predicate<PendingCall> suits) {
    PendingCall first = queue.peekFirst();
    return first != null && suits.test(first) ? queue.pollFirst() : null;
  }

  /**
   * Queues a call, in its worker's own queue if it may run only there: at the head if it was taken back
   * from a worker that never received it.
   */
  void enqueue(PendingCall call, boolean first) {
    ArrayDeque<PendingCall> into = queue;
    if (call.pinned()) {
      into = call.target.slot().pinned;
      withPinned.add(call.target.slot());
      pinnedCount++;
    }
    if (first) {
      into.addFirst(call);
    } else {
      into.addLast(call);
    }
  }

  /** The worker is drained: it is no longer offered for calls that any worker may take. */
  void drain(WorkerSlot slot) {
    slot.draining = true;
    idle.remove(slot);
  }

  /** Takes a waiting call out of its queue; false if it was not waiting. */
  boolean leave(PendingCall call) {
    if (!call.pinned()) {
      return queue.remove(call);
    }
    WorkerSlot slot = call.target.slot();
    if (!slot.pinned.remove(call)) {
      return false;
    }
    unpinned(slot);
    return true;
  }

  /**
   * The worker gets no more calls: it is no longer offered, and the calls that waited for it alone are
   * returned, to be failed.
   */
  List<PendingCall> withdraw(WorkerSlot slot) {
    idle.remove(slot);
    if (slot.pinned.isEmpty()) {
      return List.of();
    }
    List<PendingCall> stranded = new ArrayList<>(slot.pinned);
    pinnedCount -= stranded.size();
    slot.pinned.clear();
    withPinned.remove(slot);
    return stranded;
  }

  /** The waiting calls, the shared queue's oldest first, then each worker's own; for the deadline sweep, which must not change them. */
  Iterable<PendingCall> waiting() {
    if (pinnedCount == 0) {
      return queue;
    }
    List<PendingCall> all = new ArrayList<>(queue);
    withPinned.forEach(slot -> all.addAll(slot.pinned));
    return all;
  }

  /** Refuses every new call from now on; returns the calls that were waiting, which must be failed. */
  List<PendingCall> close() {
    closed = true;
    List<PendingCall> dropped = new ArrayList<>();
    waiting().forEach(dropped::add);
    queue.clear();
    withPinned.forEach(slot -> slot.pinned.clear());
    withPinned.clear();
    pinnedCount = 0;
    return dropped;
  }

  private void unpinned(WorkerSlot slot) {
    pinnedCount--;
    if (slot.pinned.isEmpty()) {
      withPinned.remove(slot);
    }
  }

  boolean closed() {
    return closed;
  }

  int idleCount() {
    return idle.size();
  }

  int waitingCount() {
    return queue.size() + pinnedCount;
  }
}
