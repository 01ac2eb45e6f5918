package dev.snakepit.internal.dispatch;

import dev.snakepit.WorkerExit;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import dev.snakepit.internal.protocol.Messages;
import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The frames of streamed calls (docs/protocol.md, section 4.13): routes each CHUNK a worker sends to
 * the {@link StreamItems} of the call it runs, and writes the CREDIT its consumer returns.
 *
 * <p>A CHUNK is a violation, and its worker {@linkplain DispatchHost#broken broken}, when the worker
 * runs no streamed call of that request id, or has no credit left for it. Items of a call whose caller
 * was answered already (cancelled, timed out) are dropped. Takes the dispatcher's lock, only to find
 * the call; the items and the credit frame are handed on outside it.
 */
public final class StreamRouting {
  private final ReentrantLock lock;
  private final DispatchHost host;

  StreamRouting(ReentrantLock lock, DispatchHost host) {
    this.lock = lock;
    this.host = host;
  }

  /**
   * A CHUNK frame arrived from {@code slot}, on the thread holding its reading role; false when it broke
   * the protocol: the worker is reported broken, and nobody may read its socket again.
   */
  public boolean arrived(WorkerSlot slot, Frame frame) {
    PendingCall call;
    boolean streaming;
    boolean abandoned;
    lock.lock();
    try {
      call = slot.current;
      streaming = call != null && call.requestId == frame.requestId() && call.stream != null;
      abandoned = streaming && call.abandoned;
    } finally {
      lock.unlock();
    }
    if (!streaming) {
      frame.release();
      host.broken(slot, "sent a stream item for request " + frame.requestId() + ", which it was not streaming",
          WorkerExit.PoolReason.PROTOCOL);
      return false;
    }
    if (abandoned) {
      frame.release(); // the caller was answered already: nobody reads the item
      return true;
    }
    if (!call.stream.offer(frame)) {
      frame.release();
      host.broken(slot, "sent an item of the stream of tool '" + call.tool + "' (request " + frame.requestId()
          + ") beyond the credit of " + call.stream.credit() + " items it was granted", WorkerExit.PoolReason.PROTOCOL);
      return false;
    }
    return true;
  }

  /** The consumer of a streamed call returns {@code credit} items to its worker. */
  public void grant(PendingCall call, int credit) {
    WorkerSlot slot;
    long requestId;
    lock.lock();
    try {
      slot = call.slot;
      requestId = call.requestId;
      if (slot == null || slot.current != call || call.abandoned) {
        return; // the stream ended, or its caller was answered: the worker needs no more credit
      }
    } finally {
      lock.unlock();
    }
    try {
      slot.data.write(FrameKind.CREDIT, requestId, Messages.credit(credit));
    } catch (IOException e) {
      host.lost(slot, "its data connection failed while credit was sent to it (" + e.getMessage() + ")");
    } catch (FrameTooLargeException e) {
      throw new IllegalStateException("a CREDIT frame of a few bytes cannot exceed the frame limit", e);
    }
  }
}
