package dev.snakepit.internal.dispatch;

import dev.snakepit.RecycleReason;
import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.protocol.FrameWriter;

/**
 * The dispatcher's view of one ready worker: where to send calls and cancels, and which call it runs.
 * With a concurrency of one, a worker runs at most one call, so {@code current} is a single field.
 */
public final class WorkerSlot {
  final String id;
  final FrameWriter data;
  final ControlChannel control;

  /** The call the worker is running, possibly one already abandoned by its caller. Guarded by the dispatcher's lock. */
  PendingCall current;
  /** Set when the worker must get no more calls. Guarded by the dispatcher's lock. */
  boolean retired;
  /** The last request id used on this worker's connection. Guarded by the dispatcher's lock. */
  long lastRequestId;

  /** Calls after which the worker is recycled, 0 for never. */
  private final long recycleAfterCalls;
  /** The error rate above which the worker is recycled, 0 for never. */
  private final double recycleAboveErrorRate;
  /** Outcomes of the latest calls, a ring: true for an error. Guarded by the dispatcher's lock. */
  private final boolean[] outcomes;
  private int next;
  private int filled;
  private int errors;
  /** Calls answered. Guarded by the dispatcher's lock. */
  private long calls;
  /** Whether the worker's recycling was asked for already. Guarded by the dispatcher's lock. */
  private boolean recycleAsked;

  public WorkerSlot(String id, FrameWriter data, ControlChannel control) {
    this(id, data, control, 0, 0, 1);
  }

  /**
   * A slot that asks for its worker's recycling after {@code recycleAfterCalls} calls (0: never) or
   * when more than {@code recycleAboveErrorRate} (0: never) of its latest {@code errorWindow} calls failed.
   */
  public WorkerSlot(String id, FrameWriter data, ControlChannel control, long recycleAfterCalls,
      double recycleAboveErrorRate, int errorWindow) {
    this.id = id;
    this.data = data;
    this.control = control;
    this.recycleAfterCalls = recycleAfterCalls;
    this.recycleAboveErrorRate = recycleAboveErrorRate;
    this.outcomes = new boolean[recycleAboveErrorRate > 0 ? errorWindow : 0];
  }

  /**
   * Counts an answered call; returns why the worker should now be recycled, once, or null. Under the
   * dispatcher's lock.
   */
  RecycleReason answered(boolean error) {
    calls++;
    if (outcomes.length > 0) {
      if (filled == outcomes.length) {
        errors -= outcomes[next] ? 1 : 0;
      } else {
        filled++;
      }
      outcomes[next] = error;
      errors += error ? 1 : 0;
      next = (next + 1) % outcomes.length;
    }
    if (recycleAsked) {
      return null;
    }
    RecycleReason reason = null;
    if (recycleAfterCalls > 0 && calls >= recycleAfterCalls) {
      reason = RecycleReason.CALLS;
    } else if (outcomes.length > 0 && filled == outcomes.length && errors > recycleAboveErrorRate * outcomes.length) {
      reason = RecycleReason.ERROR_RATE;
    }
    recycleAsked = reason != null;
    return reason;
  }

  public String id() {
    return id;
  }

  /** The writer of the worker's data plane. */
  public FrameWriter data() {
    return data;
  }
}
