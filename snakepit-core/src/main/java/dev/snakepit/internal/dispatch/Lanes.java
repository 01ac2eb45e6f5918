package dev.snakepit.internal.dispatch;

import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.protocol.FrameKind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Calls of tools that run several at once on one worker ({@code @tool(concurrency=N)}, N above 1): the
 * worker runs them off its main thread (async tools on its event loop, others on a pool of N threads)
 * and answers them in any order, so each runs in a lane of the worker, beside its current call. A call
 * takes a lane on a serving worker whose main thread is free to read it (no current call, or a current
 * call that itself runs in the background) and that runs fewer than N calls of the tool; among those,
 * the one running the fewest calls. Without one it waits in the shared queue like any call, and takes
 * a lane when one frees up.
 *
 * <p>Only plain calls overlap: a call of a session, a streamed call, a batch and a call nested in a host
 * call run one at a time as the worker's current call, as do all calls of an adapter that dispatches
 * them itself. The worker's reader thread reads the replies of calls in lanes, or the caller of the
 * current call while it reads its own.
 *
 * <p>Confined to the dispatcher's lock, like the rest of its state.
 */
final class Lanes {
  private final Ticker ticker;
  private final DeadlineSweep deadlines;
  private final BusyWorkers busy;
  /** Whether frames not yet written are counted ({@link WorkerSlot#unwritten}): with pipelining. */
  private final boolean countWrites;
  /** The workers that may take calls, in the order they became ready. */
  private final Set<WorkerSlot> serving = new LinkedHashSet<>();
  /** What the first worker's HELLO said: the tools of concurrency above 1, with it. */
  private Map<String, Integer> concurrency = Map.of();

  Lanes(Ticker ticker, DeadlineSweep deadlines, BusyWorkers busy, boolean countWrites) {
    this.ticker = ticker;
    this.deadlines = deadlines;
    this.busy = busy;
    this.countWrites = countWrites;
  }

  /** A worker became ready. Its tools are the pool's: every worker runs the same adapter. */
  void serving(WorkerSlot slot) {
    if (serving.isEmpty() && concurrency.isEmpty()) {
      concurrency = slot.concurrency;
    }
    serving.add(slot);
  }

  /** The worker gets no more calls; those in its lanes run on. */
  void withdraw(WorkerSlot slot) {
    serving.remove(slot);
  }

  /** Whether the call may run in a lane: a plain call of a tool whose concurrency is above 1. */
  boolean overlaps(FrameKind kind, String tool, Target target, StreamItems stream, boolean batch) {
    return kind == FrameKind.CALL && target == null && stream == null && !batch && concurrency.containsKey(tool);
  }

  /** The worker to run {@code call} in a lane now: the one running the fewest calls among those with room; null for none. */
  WorkerSlot slotFor(PendingCall call) {
    WorkerSlot best = null;
    int fewest = Integer.MAX_VALUE;
    for (WorkerSlot slot : serving) {
      int running = slot.lanes.size() + (slot.current == null ? 0 : 1);
      if (running < fewest && hasRoom(slot, call.tool)) {
        best = slot;
        fewest = running;
      }
    }
    return best;
  }

  /**
   * Whether {@code slot} takes one more call of {@code tool} in a lane: its main thread is free to read
   * it, it runs fewer calls of the tool than the tool's concurrency, and nothing is written ahead to it.
   */
  private boolean hasRoom(WorkerSlot slot, String tool) {
    PendingCall main = slot.current;
    if (slot.retired || slot.draining || !slot.ahead.isEmpty() || main != null && !main.overlaps) {
      return false;
    }
    int running = slot.lanesByTool.getOrDefault(tool, 0) + (main != null && main.tool.equals(tool) ? 1 : 0);
    return running < slot.concurrency.getOrDefault(tool, 1);
  }

  /**
   * Starts {@code call} in a lane of {@code slot}: it gets a request id, its run and deadline start now,
   * and the worker's reader thread reads its reply unless someone reads the worker's replies already.
   * The caller then writes its frame.
   */
  void start(WorkerSlot slot, PendingCall call) {
    call.requestId = ++slot.lastRequestId;
    call.slot = slot;
    call.callerReads = false;
    slot.lanes.put(call.requestId, call);
    slot.lanesByTool.merge(call.tool, 1, Integer::sum);
    busy.startLane(slot);
    call.checkoutNanos = ticker.nanoTime();
    call.deadlineNanos = DeadlineSweep.after(call.checkoutNanos, call.timeout);
    deadlines.sweepBy(call.deadlineNanos);
    if (slot.role.holder() == ReadingRole.Holder.NONE) {
      slot.role.giveTo(false);
    }
    if (countWrites) {
      slot.unwritten.incrementAndGet(); // its frame is written next, after the lock
    }
  }

  /** The call in a lane of {@code slot} with that request id, taken out of it; null when none is. */
  PendingCall finish(WorkerSlot slot, long requestId) {
    PendingCall call = slot.lanes.remove(requestId);
    if (call != null) {
      ended(slot, call);
    }
    return call;
  }

  /** Takes {@code call} out of its lane on {@code slot}, if it is there: its frame could not be written. */
  boolean takeBack(WorkerSlot slot, PendingCall call) {
    if (!slot.lanes.remove(call.requestId, call)) {
      return false;
    }
    ended(slot, call);
    return true;
  }

  private void ended(WorkerSlot slot, PendingCall call) {
    call.slot = null;
    if (slot.lanesByTool.merge(call.tool, -1, Integer::sum) == 0) {
      slot.lanesByTool.remove(call.tool);
    }
    busy.ended(slot);
  }

  /** The calls in the lanes of a worker that is gone, taken out of them. */
  List<PendingCall> gone(WorkerSlot slot) {
    serving.remove(slot);
    if (slot.lanes.isEmpty()) {
      return List.of();
    }
    List<PendingCall> lost = new ArrayList<>(slot.lanes.values());
    lost.forEach(call -> call.slot = null);
    slot.lanes.clear();
    slot.lanesByTool.clear();
    busy.ended(slot);
    return lost;
  }

  /**
   * Starts the calls at the head of the shared queue that may run in a lane of {@code slot}, while it
   * has room for them; returns them, for their frames to be written.
   */
  List<PendingCall> fill(WorkerSlot slot, Checkout checkout) {
    List<PendingCall> started = List.of();
    PendingCall next;
    while ((next = checkout.pollIf(call -> call.overlaps && hasRoom(slot, call.tool))) != null) {
      start(slot, next);
      if (started.isEmpty()) {
        started = new ArrayList<>(4);
      }
      started.add(next);
    }
    return started;
  }
}
