package dev.snakepit.internal.protocol;

import java.util.Objects;

/**
 * A frame body cannot be turned into Java values. The frame itself was well formed, so the channel stays
 * up (docs/protocol.md, section 5): for a {@code RESULT} only that call fails, with
 * {@code SERIALIZATION_ERROR}.
 */
public final class ValueDecodingException extends Exception {

  private static final long serialVersionUID = 1L;

  /** What is wrong with the body. */
  public enum Reason {
    /** Not JSON of the protocol's dialect: a syntax error, invalid UTF-8, trailing data. */
    MALFORMED_JSON,
    /**
     * A bytes tag that names no attachment, or is not an integer; an attachment referenced twice or
     * never; attachments on a frame without the TAGGED flag.
     */
    BAD_TAG,
    /** Containers are nested deeper than {@link ValueDecoder#MAX_DEPTH}. */
    TOO_DEEP,
    /** An integer of more than {@link JsonDialect#MAX_INTEGER_DIGITS} digits. */
    NUMBER_TOO_LONG
  }

  private final Reason reason;
  private final String path;

  public ValueDecodingException(Reason reason, String path, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.path = path;
  }

  public Reason reason() {
    return reason;
  }

  /** Where in the body the problem was found, such as {@code $.args[0]}; {@code null} when unknown. */
  public String path() {
    return path;
  }
}
