package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.FrameLayout.FIXED_HEADER_BYTES;
import static dev.snakepit.internal.protocol.FrameLayout.LENGTH_FIELD_BYTES;
import static dev.snakepit.internal.protocol.FrameLayout.TABLE_ENTRY_BYTES;

import dev.snakepit.internal.protocol.ProtocolViolation.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;

/**
 * Reads frames from one channel: a Unix socket's input stream or a worker's stdout pipe.
 *
 * <p>The layout (docs/protocol.md, section 2.1; integers unsigned, big-endian):
 *
 * <pre>
 *   offset 0   length L (u32): the bytes after this field
 *   offset 4   kind (u8) | flags (u8) | reserved (u16) = 0
 *   offset 8   request id (u64)
 *   offset 16  body length B (u32)
 *   offset 20  attachment count A (u32)
 *   offset 24  A attachment lengths (u32 each)
 *   then       B bytes of UTF-8 JSON, then the attachments one after another
 *   valid only if L = 20 + 4*A + B + (sum of attachment lengths) and 4 + L &lt;= maxFrameBytes
 * </pre>
 *
 * <p>The size limit is checked as soon as the length field is read, before anything is allocated, so
 * a corrupt or hostile length can neither exhaust memory nor leave the reader waiting for bytes that
 * will never come. Any violation throws {@link ProtocolViolation}; after one, the stream is somewhere
 * inside a frame and must be closed.
 *
 * <p>Not thread-safe: one thread reads each channel, and this reader reuses one scratch buffer for
 * every header. The stream should be buffered, since headers are read in small pieces.
 */
public final class FrameReader {

  // Holds the length field, the fixed header and attachment tables of up to 64 entries.
  private static final int SCRATCH_BYTES = 256;
  private static final byte[] NO_BYTES = new byte[0];
  // Large parts are read in pieces of at most this size. A socket channel reads into a heap array
  // through a temporary direct buffer as large as the read asked for, which the JDK then keeps for the
  // thread; pieces keep that buffer small and the copy out of it in the CPU's caches.
  private static final int MAX_READ_BYTES = 1024 * 1024;

  private final InputStream in;
  private final int maxFrameBytes;
  private final SharedMemory shared;
  private final String peer;
  private final byte[] scratch = new byte[SCRATCH_BYTES];

  /**
   * @param in the channel's input, buffered by the caller
   * @param maxFrameBytes the largest total frame size ({@code 4 + L}) accepted
   */
  public FrameReader(InputStream in, int maxFrameBytes) {
    this(in, maxFrameBytes, SharedMemory.OFF, null);
  }

  /**
   * A reader of worker {@code workerId}'s frames, which claims the files in {@code shared} that each
   * frame's {@code $shm} tags name as soon as the frame is read (docs/protocol.md, section 3.5).
   */
  public FrameReader(InputStream in, int maxFrameBytes, SharedMemory shared, String workerId) {
    this.in = Objects.requireNonNull(in, "in");
    this.maxFrameBytes = FrameLayout.requireValidMax(maxFrameBytes);
    this.shared = Objects.requireNonNull(shared, "shared");
    this.peer = workerId;
  }

  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Blocks until the next frame has arrived in full.
   *
   * @return the frame, or {@code null} when the stream ended cleanly between two frames
   * @throws ProtocolViolation when the bytes are not a valid frame or the stream ends inside one
   * @throws IOException when reading fails
   */
  public Frame read() throws IOException {
    int got = in.readNBytes(scratch, 0, LENGTH_FIELD_BYTES);
    if (got == 0) {
      return null;
    }
    if (got < LENGTH_FIELD_BYTES) {
      throw new ProtocolViolation(Reason.TRUNCATED, "the stream ended after " + got
          + " of the 4 bytes of a frame's length field");
    }
    long length = u32(scratch, 0);
    long frameBytes = LENGTH_FIELD_BYTES + length;
    if (frameBytes > maxFrameBytes) {
      throw new ProtocolViolation(Reason.OVERSIZE, "frame of " + frameBytes + " bytes (length field "
          + length + ") exceeds maxFrameBytes " + maxFrameBytes + "; a frame's size 4 + L must not exceed it");
    }
    if (length < FIXED_HEADER_BYTES) {
      throw new ProtocolViolation(Reason.LENGTH_MISMATCH, "frame length L = " + length
          + " is below " + FIXED_HEADER_BYTES + ", the size of the fixed header every frame has");
    }
    readFully(scratch, FIXED_HEADER_BYTES, "fixed header", null, 0);

    int kindCode = scratch[0] & 0xFF;
    int flags = scratch[1] & 0xFF;
    int reserved = ((scratch[2] & 0xFF) << 8) | (scratch[3] & 0xFF);
    long requestId = u64(scratch, 4);
    long bodyLength = u32(scratch, 12);
    long count = u32(scratch, 16);

    FrameKind kind = FrameKind.ofCode(kindCode);
    if (kind == null) {
      throw new ProtocolViolation(Reason.UNKNOWN_KIND, "frame kind " + kindCode
          + " is not defined by protocol version 1 (request id " + Long.toUnsignedString(requestId) + ")");
    }
    if (reserved != 0) {
      throw new ProtocolViolation(Reason.RESERVED_NONZERO, "reserved header field is " + reserved
          + " in a " + kind + " frame (request id " + Long.toUnsignedString(requestId) + "); it must be 0");
    }
    long declared = FIXED_HEADER_BYTES + TABLE_ENTRY_BYTES * count + bodyLength;
    if (declared > length) {
      throw mismatch(kind, length, "its header, " + count + "-entry attachment table and "
          + bodyLength + "-byte body alone take " + declared);
    }

    // count and bodyLength fit in an int from here on: together they are below L <= maxFrameBytes.
    int attachmentCount = (int) count;
    int tableBytes = TABLE_ENTRY_BYTES * attachmentCount;
    byte[] table = tableBytes <= scratch.length ? scratch : new byte[tableBytes];
    readFully(table, tableBytes, "attachment table", kind, requestId);
    long total = declared;
    for (int i = 0; i < attachmentCount; i++) {
      long size = u32(table, i * TABLE_ENTRY_BYTES);
      total += size;
      if (total > length) {
        throw mismatch(kind, length, "its parts add up to at least " + total
            + " once attachment " + i + " (" + size + " bytes) is counted");
      }
    }
    if (total != length) {
      throw mismatch(kind, length, "its header, attachment table, body and attachments add up to " + total);
    }

    byte[] body = NO_BYTES;
    if (bodyLength > 0) {
      body = new byte[(int) bodyLength];
      readFully(body, body.length, "body", kind, requestId);
    }
    if (attachmentCount == 0) {
      return new Frame(kind, flags, requestId, body, List.of(), claim(flags, body));
    }
    // A small table sits in the scratch buffer, which the body did not touch; sizes are read from it
    // rather than copied out, so a frame of many attachments costs no second table.
    byte[][] attachments = new byte[attachmentCount][];
    for (int i = 0; i < attachmentCount; i++) {
      int size = (int) u32(table, i * TABLE_ENTRY_BYTES);
      attachments[i] = size == 0 ? NO_BYTES : new byte[size];
      readFully(attachments[i], size, "attachment " + i, kind, requestId);
    }
    return new Frame(kind, flags, requestId, body, List.of(attachments), claim(flags, body));
  }

  /** The shared-memory files a frame read in full names, claimed at once (none unless it is TAGGED). */
  private SharedSegments claim(int flags, byte[] body) {
    return (flags & Frame.TAGGED) != 0 && shared.on() ? shared.claim(body, peer) : SharedSegments.NONE;
  }

  private void readFully(byte[] into, int count, String part, FrameKind kind, long requestId)
      throws IOException {
    int got = 0;
    while (got < count) {
      int n = in.readNBytes(into, got, Math.min(MAX_READ_BYTES, count - got));
      if (n == 0) {
        break;
      }
      got += n;
    }
    if (got < count) {
      String frame = kind == null ? "a frame"
          : "a " + kind + " frame (request id " + Long.toUnsignedString(requestId) + ")";
      throw new ProtocolViolation(Reason.TRUNCATED, "the stream ended after " + got + " of the "
          + count + " bytes of the " + part + " of " + frame);
    }
  }

  private static ProtocolViolation mismatch(FrameKind kind, long length, String detail) {
    return new ProtocolViolation(Reason.LENGTH_MISMATCH, kind + " frame declares L = " + length
        + " but " + detail + "; L must equal 20 + 4*A + B + the attachment lengths");
  }

  private static long u32(byte[] bytes, int at) {
    return ((bytes[at] & 0xFFL) << 24) | ((bytes[at + 1] & 0xFFL) << 16)
        | ((bytes[at + 2] & 0xFFL) << 8) | (bytes[at + 3] & 0xFFL);
  }

  private static long u64(byte[] bytes, int at) {
    return (u32(bytes, at) << 32) | u32(bytes, at + 4);
  }
}
