package dev.snakepit.internal.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * The JVM's side of the data-plane handshake (docs/protocol.md section 4.1): reads the worker's HELLO,
 * checks its token in constant time, agrees on a protocol version and answers WELCOME, or refuses.
 * Runs once per worker, on its data thread, before any call can reach it.
 */
public final class Handshake {
  private static final ValueDecoder DECODER = new ValueDecoder();

  /** How a handshake ended. */
  public sealed interface Outcome {}

  /** The worker is accepted and has been sent WELCOME. */
  public record Accepted(Hello hello) implements Outcome {}

  /**
   * The worker is refused, for {@code reason}; {@code versionMismatch} when only the protocol
   * versions disagree, which is a configuration problem rather than a broken worker.
   */
  public record Refused(String reason, boolean versionMismatch) implements Outcome {}

  private Handshake() {}

  /**
   * Runs the handshake with the worker behind {@code reader} and {@code writer}, which must present
   * {@code token}. I/O errors propagate: the connection failed.
   */
  public static Outcome run(FrameReader reader, FrameWriter writer, String token, String pool, String workerId)
      throws IOException {
    Frame first = reader.read();
    if (first == null) {
      return new Refused("closed its data connection before the handshake", false);
    }
    if (first.kind() != FrameKind.HELLO) {
      return new Refused("sent " + first.kind() + " instead of HELLO", false);
    }
    Map<?, ?> body;
    try {
      body = DECODER.decode(first) instanceof Map<?, ?> m ? m : Map.of();
    } catch (ValueDecodingException e) {
      return new Refused("sent an unreadable HELLO: " + e.getMessage(), false);
    }
    if (!tokenMatches(body, token)) {
      return new Refused("connected with a wrong token", false); // and is told nothing
    }
    Hello hello = Hello.parse(body);
    if (!hello.speaks(Messages.PROTOCOL)) {
      String error = "the worker speaks protocol versions " + hello.protocols() + ", this JVM speaks " + Messages.PROTOCOL;
      send(writer, Messages.refusal(error));
      return new Refused("protocol mismatch: " + error, true);
    }
    send(writer, Messages.welcome(pool, workerId));
    return new Accepted(hello);
  }

  /** Whether {@code body} carries {@code token}; compared in constant time. */
  static boolean tokenMatches(Map<?, ?> body, String token) {
    Object presented = body.get("token");
    if (!(presented instanceof String s)) {
      return false;
    }
    return MessageDigest.isEqual(s.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(FrameWriter writer, EncodedBody welcome) throws IOException {
    try {
      writer.write(FrameKind.WELCOME, 0, welcome);
    } catch (FrameTooLargeException e) {
      throw new IllegalStateException("a WELCOME body is a few bytes; it cannot exceed the frame limit", e);
    }
  }
}
