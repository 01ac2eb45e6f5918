package dev.snakepit.internal.dispatch;

import dev.snakepit.internal.Events;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Pipelining (docs/protocol.md, section 4.2): when every worker is busy, a call may be written to a busy
 * worker's socket behind the call it runs, with the {@code QUEUED} flag, so that the worker finds it
 * waiting when it answers instead of waiting for the JVM's next frame. At most {@code depth} calls per
 * worker, and only plain calls (no session, no stream, none nested in a host call) onto a worker whose
 * current call is a plain, live one that waits for no host function, with no strict session's call
 * waiting for it.
 *
 * <p>A call written ahead is still waiting: its acquire timeout runs until it begins, and a cancel
 * before then answers it at once and sends CANCEL, which the worker keeps until the call comes up and
 * then answers CANCELLED without running it. It begins, with no frame to write, when the call before
 * it is answered. If the worker dies or loses its connection first, the call never began there, and is
 * taken back and given to another worker.
 *
 * <p>Frames to one worker must reach it in the order of its calls. A call is written ahead only when
 * every frame already given to that worker has been written ({@link WorkerSlot#unwritten}), and the
 * thread that places it writes it; so no frame overtakes another. A worker reads a call written ahead
 * only once it has answered the calls before it, so such a write may block until then: it is never made
 * by a thread that may have to read that answer first (the dispatcher hands refills to a thread of their own).
 *
 * <p>Confined to the dispatcher's lock: every method is called with it held, but {@link #write} and
 * {@link #begin}, which the dispatcher calls after letting it go.
 */
final class AheadCalls {
  private final int depth;
  private final Events events;
  private final DispatchHost host;
  private final Cancellation cancels;

  /** Up to {@code depth} calls per worker written ahead (0 turns pipelining off), reported to {@code events}. */
  AheadCalls(int depth, Events events, DispatchHost host, Cancellation cancels) {
    this.depth = depth;
    this.events = events;
    this.host = host;
    this.cancels = cancels;
  }

  boolean enabled() {
    return depth > 0;
  }

  /**
   * The largest frame written ahead: one that fits a socket's buffer, so that its write returns at once
   * even though the worker reads it only later. Larger calls wait in the queue; their transfer, not the
   * hand-over, is what they take time for.
   */
  static final long MAX_FRAME_AHEAD = 128 * 1024;

  /** Whether {@code call} may be written ahead to a busy worker. */
  static boolean eligible(PendingCall call) {
    return call.kind == FrameKind.CALL && call.target == null && call.stream == null && call.depth == 0 && !call.overlaps
        && call.body.frameBytes() <= MAX_FRAME_AHEAD;
  }

  /**
   * The busy worker to write {@code call} to, ahead of its turn: the one with the fewest calls ahead,
   * the longest-running first among those; null when none may take it.
   */
  WorkerSlot slotFor(PendingCall call, Iterable<WorkerSlot> busy) {
    if (depth == 0 || !eligible(call)) {
      return null;
    }
    WorkerSlot best = null;
    for (WorkerSlot slot : busy) {
      if (accepts(slot, 0) && (best == null || slot.ahead.size() < best.ahead.size()
          || slot.ahead.size() == best.ahead.size() && slot.current.checkoutNanos - best.current.checkoutNanos < 0)) {
        best = slot;
      }
    }
    return best;
  }

  /**
   * Whether {@code slot} takes one more call ahead, when {@code ownWrites} of its unwritten frames are
   * the placing thread's own, to be written before the new one by the same thread.
   */
  private boolean accepts(WorkerSlot slot, int ownWrites) {
    PendingCall running = slot.current;
    return slot.ahead.size() < depth && slot.unwritten.get() == ownWrites && !slot.retired && !slot.draining
        && slot.pinned.isEmpty() && slot.nested.isEmpty() && slot.lanes.isEmpty() && running != null && !running.abandoned
        && !running.overlaps
        && running.stream == null && (running.hostThreads == null || running.hostThreads.isEmpty());
  }

  /** Writes {@code call} behind {@code slot}'s calls: it gets its request id now; the placing thread then writes it. */
  void place(WorkerSlot slot, PendingCall call) {
    call.requestId = ++slot.lastRequestId;
    call.aheadOn = slot;
    slot.ahead.addLast(call);
    slot.unwritten.incrementAndGet();
  }

  /**
   * Takes calls from the front of the shared queue and places them ahead on {@code slot}, while it
   * takes them: after a call written ahead began, with nothing left to write before them. Returns them,
   * to be written in order by one thread.
   */
  List<PendingCall> refill(WorkerSlot slot, Checkout checkout) {
    if (depth == 0) {
      return List.of();
    }
    List<PendingCall> placed = null;
    while (accepts(slot, placed == null ? 0 : placed.size())) {
      PendingCall next = checkout.pollIf(AheadCalls::eligible);
      if (next == null) {
        break;
      }
      place(slot, next);
      if (placed == null) {
        placed = new ArrayList<>(depth);
      }
      placed.add(next);
    }
    return placed == null ? List.of() : placed;
  }

  /**
   * The calls written ahead to {@code slot}, which will never begin there (it died or lost its
   * connection): those whose callers still wait, to be given to another worker. The rest were answered.
   */
  List<PendingCall> takeBack(WorkerSlot slot) {
    if (slot.ahead.isEmpty()) {
      return List.of();
    }
    List<PendingCall> back = new ArrayList<>(slot.ahead.size());
    for (PendingCall call : slot.ahead) {
      call.aheadOn = null;
      if (!call.abandoned && !call.claimed()) {
        back.add(call);
      }
    }
    slot.ahead.clear();
    return back;
  }

  /** How many calls wait ahead on the busy workers, their callers not yet answered: they count as queued. */
  int waiting(Iterable<WorkerSlot> busy) {
    if (depth == 0) {
      return 0;
    }
    int count = 0;
    for (WorkerSlot slot : busy) {
      for (PendingCall call : slot.ahead) {
        count += call.abandoned ? 0 : 1;
      }
    }
    return count;
  }

  /** The waiting calls for the deadline sweep: {@code queued}, and the live calls ahead on busy workers. */
  Iterable<PendingCall> withWaiting(Iterable<PendingCall> queued, Iterable<WorkerSlot> busy) {
    if (depth == 0) {
      return queued;
    }
    List<PendingCall> all = null;
    for (WorkerSlot slot : busy) {
      for (PendingCall call : slot.ahead) {
        if (!call.abandoned) {
          if (all == null) {
            all = new ArrayList<>();
            queued.forEach(all::add);
          }
          all.add(call);
        }
      }
    }
    return all == null ? queued : all;
  }

  /** Writes calls placed ahead on {@code slot}, in order; a worker that cannot be written to is lost, and takes them back. */
  void write(WorkerSlot slot, List<PendingCall> calls) {
    for (PendingCall call : calls) {
      try {
        slot.data.write(call.kind, call.requestId, call.body, Frame.QUEUED);
      } catch (IOException e) {
        host.lost(slot, CallFailures.sendFailed(e));
      } catch (FrameTooLargeException e) {
        // Checked before the call was accepted; kept as a guard: the worker is lost, and its calls taken back.
        host.lost(slot, e.getMessage());
      } finally {
        slot.unwritten.decrementAndGet();
      }
    }
  }

  /** A call written ahead to {@code slot} begins there: its caller, if it reads its own reply, is woken to read it. */
  void begin(WorkerSlot slot, PendingCall call) {
    if (!call.checkedOut) {
      call.checkedOut = true;
      events.checkoutStop(call.callId, call.tool, slot.id, call.submittedNanos, call.checkoutNanos);
    }
    call.wakeWaiter();
    if (call.abandoned) {
      cancels.begunCancelled(slot, call); // answered while it waited: the worker skips it, within the grace
    }
  }
}
