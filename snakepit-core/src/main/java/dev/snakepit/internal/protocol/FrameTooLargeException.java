package dev.snakepit.internal.protocol;

/**
 * A frame would exceed the maximum frame size, so nothing of it was written (docs/protocol.md,
 * section 2.3). The channel is intact; the pool fails only the call, with {@code SERIALIZATION_ERROR}.
 *
 * <p>Deliberately not an {@link java.io.IOException}: code that treats any I/O error as a broken
 * channel must not kill a healthy worker because one call's arguments were too large.
 */
public final class FrameTooLargeException extends Exception {

  private static final long serialVersionUID = 1L;

  private final long frameBytes;
  private final int maxFrameBytes;

  public FrameTooLargeException(long frameBytes, int maxFrameBytes) {
    super("frame of " + frameBytes + " bytes exceeds maxFrameBytes " + maxFrameBytes
        + " (a frame's total size, 4 + L, must not exceed the limit); nothing was sent");
    this.frameBytes = frameBytes;
    this.maxFrameBytes = maxFrameBytes;
  }

  /** The frame's total size, {@code 4 + L}; may exceed what a frame can ever have. */
  public long frameBytes() {
    return frameBytes;
  }

  public int maxFrameBytes() {
    return maxFrameBytes;
  }
}
