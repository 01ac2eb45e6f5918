package dev.snakepit.internal.protocol;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One frame as read from a channel (docs/protocol.md, section 2): the JSON body still undecoded and the
 * attachments as received.
 *
 * <p>The arrays are not copied: a frame owns the arrays it is given, and whoever holds it must not
 * change them. {@link #equals} compares contents, so two frames read from equal bytes are equal.
 * {@link #toString} shows sizes only: bodies carry user data and, in a {@code HELLO}, the worker's
 * secret token.
 *
 * @param kind what the frame is
 * @param flags the flags byte, 0 to 255; see {@link #TAGGED}
 * @param requestId the call the frame belongs to, 0 for frames outside a call; unsigned on the wire
 * @param body UTF-8 JSON, possibly empty (which decodes to {@code null})
 * @param attachments the bytes values the body's tags refer to, in index order
 * @param segments the shared-memory files the body's {@code $shm} tags name (docs/protocol.md, section
 *     3.5), claimed by the reader; decoding releases them, and whoever drops the frame undecoded must
 *     {@linkplain #release release} them. Not part of {@link #equals}
 */
public record Frame(FrameKind kind, int flags, long requestId, byte[] body, List<byte[]> attachments,
    SharedSegments segments) {

  /** Flag bit: the body holds bytes tags or escaped keys (docs/protocol.md, section 3.2). */
  public static final int TAGGED = 0x01;
  /**
   * Flag of a CALL written while the worker runs another call (pipelining, docs/protocol.md section
   * 4.2): the worker runs it after that one, even when it reads it during a wait of the running call.
   */
  public static final int QUEUED = 0x02;

  private static final byte[] NO_BYTES = new byte[0];

  public Frame {
    Objects.requireNonNull(kind, "kind");
    if (flags < 0 || flags > 0xFF) {
      throw new IllegalArgumentException("flags " + flags + " do not fit the frame's flags byte (0 to 255)");
    }
    body = body == null ? NO_BYTES : body;
    attachments = attachments == null ? List.of() : List.copyOf(attachments);
    segments = segments == null ? SharedSegments.NONE : segments;
  }

  /** A frame that names no shared-memory file. */
  public Frame(FrameKind kind, int flags, long requestId, byte[] body, List<byte[]> attachments) {
    this(kind, flags, requestId, body, attachments, SharedSegments.NONE);
  }

  /**
   * Closes the shared-memory files the frame names, for a frame dropped without being decoded (a late
   * reply, a stream's item nobody reads): their names are unlinked already, so nothing is left of them.
   */
  public void release() {
    segments.release();
  }

  /** A frame without attachments and without flags. */
  public Frame(FrameKind kind, long requestId, byte[] body) {
    this(kind, 0, requestId, body, List.of());
  }

  /** Whether the body must be decoded with tags and escapes resolved. */
  public boolean tagged() {
    return (flags & TAGGED) != 0;
  }

  @Override
  public boolean equals(Object other) {
    if (this == other) {
      return true;
    }
    if (!(other instanceof Frame that)) {
      return false;
    }
    if (kind != that.kind || flags != that.flags || requestId != that.requestId
        || !Arrays.equals(body, that.body) || attachments.size() != that.attachments.size()) {
      return false;
    }
    for (int i = 0; i < attachments.size(); i++) {
      if (!Arrays.equals(attachments.get(i), that.attachments.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int hash = Objects.hash(kind, flags, requestId) * 31 + Arrays.hashCode(body);
    for (byte[] attachment : attachments) {
      hash = hash * 31 + Arrays.hashCode(attachment);
    }
    return hash;
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("Frame[").append(kind)
        .append(", flags=0x").append(Integer.toHexString(flags))
        .append(", requestId=").append(Long.toUnsignedString(requestId))
        .append(", body=").append(body.length).append(" bytes");
    if (!attachments.isEmpty()) {
      text.append(", attachment sizes=[");
      for (int i = 0; i < attachments.size(); i++) {
        text.append(i == 0 ? "" : ", ").append(attachments.get(i).length);
      }
      text.append(']');
    }
    return text.append(']').toString();
  }
}
