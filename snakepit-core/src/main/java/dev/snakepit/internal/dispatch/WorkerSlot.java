package dev.snakepit.internal.dispatch;

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

  public WorkerSlot(String id, FrameWriter data, ControlChannel control) {
    this.id = id;
    this.data = data;
    this.control = control;
  }

  public String id() {
    return id;
  }

  /** The writer of the worker's data plane. */
  public FrameWriter data() {
    return data;
  }
}
