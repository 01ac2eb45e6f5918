package dev.snakepit.internal.protocol;

import java.io.IOException;
import java.util.Objects;

/**
 * A channel delivered bytes that are not a valid frame. The receiver can no longer find frame
 * boundaries, so the channel is broken for good (docs/protocol.md, section 5): the pool kills and
 * replaces the worker, and a call in flight fails with a message naming this violation.
 *
 * <p>It is an {@link IOException} because, to the caller, it ends the channel just as a reset
 * connection does.
 */
public final class ProtocolViolation extends IOException {

  private static final long serialVersionUID = 1L;

  /** What was wrong with the frame; the names match the {@code error} of the golden invalid frames. */
  public enum Reason {
    /** {@code 4 + L} exceeds the receiver's maximum frame size. */
    OVERSIZE,
    /** {@code L} does not equal the sum of the header, attachment table, body and attachments. */
    LENGTH_MISMATCH,
    /** The kind byte names no kind of this protocol version. */
    UNKNOWN_KIND,
    /** The reserved 16 bits of the header are not 0. */
    RESERVED_NONZERO,
    /** The stream ended inside a frame. */
    TRUNCATED
  }

  private final Reason reason;

  public ProtocolViolation(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
