package dev.snakepit.internal.dispatch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Gives calls that never began on a worker to another one: a call whose frame could not be written to
 * its worker, and the calls written ahead to a worker that died or lost its connection before it came
 * to them ({@link AheadCalls}). A call goes to a free worker, or back to the head of the queue, where
 * it waits at most the acquire timeout again; one that may run only on the lost worker, or whose pool
 * closed meanwhile, fails.
 *
 * <p>Takes the dispatcher's lock for each hand-over, and writes frames and answers calls without it.
 */
final class Resending {
  private final Dispatcher dispatcher;
  private final ReentrantLock lock;
  private final Checkout checkout;
  private final ReadingHandOff reading;
  private final BusyWorkers busy;
  private final Lanes lanes;
  private final CallCompletion completion;
  private final CallFailures failures;
  private final SessionPlacement sessions;

  Resending(Dispatcher dispatcher, ReentrantLock lock, Checkout checkout, ReadingHandOff reading, BusyWorkers busy,
      Lanes lanes, CallCompletion completion, CallFailures failures, SessionPlacement sessions) {
    this.dispatcher = dispatcher;
    this.lock = lock;
    this.checkout = checkout;
    this.reading = reading;
    this.busy = busy;
    this.lanes = lanes;
    this.completion = completion;
    this.failures = failures;
    this.sessions = sessions;
  }

  /** Takes a call back from a worker that never received it and gives it to another, or queues it first. */
  void retry(WorkerSlot failed, PendingCall call) {
    WorkerSlot slot = null;
    boolean poolClosed = false;
    boolean timedOut = false;
    boolean stranded = false;
    Withdrawal withdrawn;
    lock.lock();
    try {
      withdrawn = dispatcher.withdraw(failed);
      reading.end(failed);
      boolean inLane = lanes.takeBack(failed, call);
      if (!inLane && failed.current != call) {
        return; // the worker's death was handled first and has already answered the caller
      }
      if (!inLane) {
        busy.release(failed);
      }
      if (call.abandoned || call.claimed()) {
        timedOut = call.timedOut != null; // a cancelled call has its answer; a timed-out one is answered below
      } else if (checkout.closed()) {
        poolClosed = true;
      } else if (call.pinned()) {
        stranded = true; // it may run on no other worker
      } else if (call.overlaps && (slot = lanes.slotFor(call)) != null) {
        lanes.start(slot, call);
      } else if ((slot = checkout.takeIdle()) != null) {
        dispatcher.assign(slot, call);
      } else {
        // The call already waited once; it waits again at most the acquire timeout, never forever.
        dispatcher.enqueue(call, true);
      }
    } finally {
      lock.unlock();
    }
    withdrawn.settle("lost its connection", completion, failures, sessions);
    if (timedOut) {
      completion.fail(call, failed.id, failures.timedOutBeforeReceived(failed, call));
    } else if (stranded) {
      completion.fail(call, failed.id, failures.stranded(call, "lost its connection"));
    } else if (poolClosed) {
      completion.fail(call, failed.id, failures.closedBeforeResent(failed, call));
    } else if (slot != null) {
      dispatcher.sendAndWake(slot, call);
    }
  }

  /** Gives calls written ahead to {@code failed}, which never began there, to other workers, or queues them first, in order. */
  void resend(WorkerSlot failed, List<PendingCall> calls) {
    if (calls.isEmpty()) {
      return;
    }
    List<WorkerSlot> to = new ArrayList<>();
    List<PendingCall> sent = new ArrayList<>();
    boolean closed;
    lock.lock();
    try {
      closed = checkout.closed();
      for (int i = calls.size() - 1; i >= 0 && !closed; i--) {
        dispatcher.enqueue(calls.get(i), true); // back at the head of the queue, in their order
      }
      WorkerSlot slot;
      PendingCall next;
      while (!closed && (slot = checkout.takeIdle()) != null) {
        if ((next = checkout.free(slot)) == null) {
          break; // the queue is empty: free() made the worker idle again
        }
        dispatcher.assign(slot, next);
        to.add(slot);
        sent.add(next);
      }
    } finally {
      lock.unlock();
    }
    if (closed) {
      calls.forEach(call -> completion.fail(call, failed.id, failures.closedBeforeResent(failed, call)));
    }
    for (int i = 0; i < sent.size(); i++) {
      dispatcher.sendAndWake(to.get(i), sent.get(i));
    }
  }
}
