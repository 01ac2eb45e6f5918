package dev.snakepit.internal.protocol;

/** Sizes of the frame layout of docs/protocol.md, section 2.1, shared by the reader and the writer. */
final class FrameLayout {

  /** The length field {@code L} in front of every frame. */
  static final int LENGTH_FIELD_BYTES = 4;

  /** kind, flags, reserved, request id, body length, attachment count: the part of L always there. */
  static final int FIXED_HEADER_BYTES = 20;

  /** The smallest possible frame: no body and no attachments. */
  static final int MIN_FRAME_BYTES = LENGTH_FIELD_BYTES + FIXED_HEADER_BYTES;

  /** Each attachment adds its length (u32) to the table after the fixed header. */
  static final int TABLE_ENTRY_BYTES = 4;

  private FrameLayout() {}

  /** A frame's total size, {@code 4 + L}, computed in long so that no sum can overflow. */
  static long frameBytes(long bodyBytes, long attachmentCount, long attachmentBytes) {
    return MIN_FRAME_BYTES + TABLE_ENTRY_BYTES * attachmentCount + bodyBytes + attachmentBytes;
  }

  static int requireValidMax(int maxFrameBytes) {
    if (maxFrameBytes < MIN_FRAME_BYTES) {
      throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes
          + " is below " + MIN_FRAME_BYTES + ", the size of a frame with an empty body");
    }
    return maxFrameBytes;
  }
}
