package dev.snakepit.internal.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands free workers to calls: the idle workers, most recently used first (it is the warmest), and the
 * calls waiting for one, oldest first. It decides whether a new call gets a worker, waits, or is
 * refused; which call a freed worker takes next; and what is left when the pool closes.
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
    NO_WAITING
  }

  private final int maxQueue;
  private final boolean mayWait;
  private final ArrayDeque<WorkerSlot> idle = new ArrayDeque<>();
  private final ArrayDeque<PendingCall> queue = new ArrayDeque<>();
  private boolean closed;

  /** A checkout whose queue holds at most {@code maxQueue} calls; none at all wait when {@code mayWait} is false. */
  Checkout(int maxQueue, boolean mayWait) {
    this.maxQueue = maxQueue;
    this.mayWait = mayWait;
  }

  /** Decides for a new call; with {@link Admission#WAIT} the caller then {@linkplain #enqueue enqueues} it. */
  Admission admit() {
    if (closed) {
      return Admission.CLOSED;
    }
    if (!idle.isEmpty()) {
      return Admission.WORKER;
    }
    if (queue.size() >= maxQueue) {
      return Admission.QUEUE_FULL;
    }
    return mayWait ? Admission.WAIT : Admission.NO_WAITING;
  }

  /** The warmest free worker, or null when none is free. */
  WorkerSlot takeIdle() {
    return idle.pollFirst();
  }

  /** A worker is free: the oldest waiting call it must take (the caller assigns it), or null, and then it is idle. */
  PendingCall free(WorkerSlot slot) {
    PendingCall next = slot.retired ? null : queue.pollFirst();
    if (next == null && !slot.retired) {
      idle.push(slot);
    }
    return next;
  }

  /** Queues a call: at the head if it was taken back from a worker that never received it. */
  void enqueue(PendingCall call, boolean first) {
    if (first) {
      queue.addFirst(call);
    } else {
      queue.addLast(call);
    }
  }

  /** Takes a waiting call out of the queue; false if it was not waiting. */
  boolean leave(PendingCall call) {
    return queue.remove(call);
  }

  /** The worker gets no more calls: it is no longer offered. */
  void withdraw(WorkerSlot slot) {
    idle.remove(slot);
  }

  /** The waiting calls, oldest first; for the deadline sweep, which must not change them. */
  Iterable<PendingCall> waiting() {
    return queue;
  }

  /** Refuses every new call from now on; returns the calls that were waiting, which must be failed. */
  List<PendingCall> close() {
    closed = true;
    List<PendingCall> dropped = new ArrayList<>(queue);
    queue.clear();
    return dropped;
  }

  boolean closed() {
    return closed;
  }

  int idleCount() {
    return idle.size();
  }

  int waitingCount() {
    return queue.size();
  }
}
