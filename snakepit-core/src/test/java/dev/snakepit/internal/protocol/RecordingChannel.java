package dev.snakepit.internal.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

/**
 * A gathering channel that keeps what it is given and how: it can take only a few bytes per call, as a
 * full socket buffer does, and fail on a chosen call. Not thread-safe, like the channels the writer
 * serialises access to.
 */
final class RecordingChannel implements GatheringByteChannel {

  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final int maxBytesPerCall;
  private final int failingCall;
  int calls;
  long largestOffer;
  int mostBuffersOffered;
  int largestBufferOffered;

  RecordingChannel() {
    this(Integer.MAX_VALUE, -1);
  }

  /** @param failingCall the 1-based call that throws, or -1 for none */
  RecordingChannel(int maxBytesPerCall, int failingCall) {
    this.maxBytesPerCall = maxBytesPerCall;
    this.failingCall = failingCall;
  }

  byte[] received() {
    return received.toByteArray();
  }

  @Override
  public long write(ByteBuffer[] sources, int offset, int length) throws IOException {
    if (++calls == failingCall) {
      throw new IOException("connection reset (simulated)");
    }
    long offered = 0;
    for (int i = offset; i < offset + length; i++) {
      offered += sources[i].remaining();
      largestBufferOffered = Math.max(largestBufferOffered, sources[i].remaining());
    }
    largestOffer = Math.max(largestOffer, offered);
    mostBuffersOffered = Math.max(mostBuffersOffered, length);
    long budget = maxBytesPerCall;
    long taken = 0;
    for (int i = offset; i < offset + length && budget > 0; i++) {
      int n = (int) Math.min(budget, sources[i].remaining());
      byte[] chunk = new byte[n];
      sources[i].get(chunk);
      received.writeBytes(chunk);
      budget -= n;
      taken += n;
    }
    return taken;
  }

  @Override
  public long write(ByteBuffer[] sources) throws IOException {
    return write(sources, 0, sources.length);
  }

  @Override
  public int write(ByteBuffer source) throws IOException {
    return (int) write(new ByteBuffer[] {source}, 0, 1);
  }

  @Override
  public boolean isOpen() {
    return true;
  }

  @Override
  public void close() {}
}
