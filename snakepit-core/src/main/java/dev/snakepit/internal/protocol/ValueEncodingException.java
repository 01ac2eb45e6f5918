package dev.snakepit.internal.protocol;

import java.util.Objects;

/**
 * A Java value cannot be sent: it has a type outside the protocol's (docs/protocol.md, section 3.1), a
 * map key that is not a String, or is nested too deeply. Nothing was sent; the pool fails the call with
 * {@code SERIALIZATION_ERROR}, and the message names the offending value's path and type.
 */
public final class ValueEncodingException extends Exception {

  private static final long serialVersionUID = 1L;

  /** Why the value was refused. */
  public enum Reason {
    /** The value's type has no mapping to the wire. */
    UNSUPPORTED_TYPE,
    /** A map has a key that is not a String. */
    NON_STRING_KEY,
    /** Containers are nested deeper than {@link ValueEncoder#MAX_DEPTH}, or a container holds itself. */
    TOO_DEEP,
    /** An integer has more than {@link JsonDialect#MAX_INTEGER_DIGITS} digits. */
    NUMBER_TOO_LONG,
    /** A primitive array's elements take more bytes than one attachment can hold. */
    TOO_LARGE
  }

  private final Reason reason;
  private final String path;
  private final String typeName;

  public ValueEncodingException(Reason reason, String path, String typeName, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.path = Objects.requireNonNull(path, "path");
    this.typeName = Objects.requireNonNull(typeName, "typeName");
  }

  public Reason reason() {
    return reason;
  }

  /** Where the offending value sits in the body, such as {@code $.kwargs.points[3]}. */
  public String path() {
    return path;
  }

  /** The Java type refused: the value's for most reasons, the key's for {@link Reason#NON_STRING_KEY}. */
  public String typeName() {
    return typeName;
  }
}
