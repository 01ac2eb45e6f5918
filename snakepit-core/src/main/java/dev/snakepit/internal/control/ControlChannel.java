package dev.snakepit.internal.control;

import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import dev.snakepit.internal.protocol.FrameWriter;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.ValueDecoder;
import dev.snakepit.internal.protocol.ValueDecodingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A worker's control plane: frames on its stdin (to the worker) and stdout (from it). Reading runs on
 * its own thread ({@link #run()}); writing ({@link #cancel}) is safe from any thread. Closing stdin is
 * the lifeline: the worker exits at once, without running {@code teardown()}.
 */
public final class ControlChannel implements Runnable {
  /** What the pool does with what the worker says. Called on the control thread. */
  public interface Listener {
    /** The worker could not start; {@code body} is the FATAL frame's body. */
    void fatal(Map<String, Object> body);

    /** The channel broke the protocol; the worker must be replaced. */
    void violation(String description);

    /**
     * The worker sent HEARTBEAT number {@code sequence}; it has been acknowledged already.
     * {@code roundTripMicros} is how long the worker waited for the acknowledgement of its previous
     * beat, or -1 when it did not say.
     */
    default void heartbeat(long sequence, long roundTripMicros) {}

    /** The worker asks to be replaced (it received SIGTERM, say); {@code reason} says why. */
    default void retire(String reason) {}
  }

  private static final ValueDecoder DECODER = new ValueDecoder();

  private final FrameReader reader;
  private final FrameWriter writer;
  private final OutputStream stdin;
  private final WorkerLogs logs;
  private final Listener listener;
  private final CompletableFuture<Void> ended = new CompletableFuture<>();

  public ControlChannel(InputStream stdout, OutputStream stdin, int maxFrameBytes, WorkerLogs logs, Listener listener) {
    this.reader = new FrameReader(stdout, maxFrameBytes);
    this.writer = FrameWriter.toStream(stdin, maxFrameBytes);
    this.stdin = stdin;
    this.logs = logs;
    this.listener = listener;
  }

  @Override
  public void run() {
    try {
      for (Frame frame; (frame = reader.read()) != null; ) {
        handle(frame);
      }
    } catch (IOException e) {
      listener.violation("violated the protocol on the control plane: " + e.getMessage());
    } finally {
      ended.complete(null);
    }
  }

  /** Completes, on the reading thread, once the worker's stdout has ended and every frame is handled. */
  public CompletableFuture<Void> ended() {
    return ended;
  }

  private void handle(Frame frame) {
    Map<String, Object> body;
    try {
      body = asMap(DECODER.decode(frame));
    } catch (ValueDecodingException e) {
      listener.violation("sent an unreadable " + frame.kind() + " frame on the control plane: " + e.getMessage());
      return;
    }
    switch (frame.kind()) {
      case LOG -> {
        Messages.Log log = Messages.Log.of(body);
        logs.record(log.level(), log.logger(), log.message(), log.exception());
      }
      case FATAL -> listener.fatal(body);
      case RETIRE -> listener.retire(Messages.retireReason(body));
      case HEARTBEAT -> {
        acknowledge(frame.requestId());
        listener.heartbeat(frame.requestId(), body.get("rtt_us") instanceof Long us && us >= 0 ? us : -1);
      }
      default -> listener.violation("sent a " + frame.kind() + " frame on the control plane, where workers may not send it");
    }
  }

  /** Answers HEARTBEAT {@code sequence}. A broken pipe is ignored: the worker is dying. */
  private void acknowledge(long sequence) {
    try {
      writer.write(FrameKind.HEARTBEAT_ACK, 0, sequence, ByteBuffer.allocate(0), List.of());
    } catch (IOException | FrameTooLargeException e) {
      // The worker is gone or going; its exit is handled elsewhere.
    }
  }

  /** Asks the worker to cancel call {@code requestId}. A broken pipe is ignored: the worker is dying. */
  public void cancel(long requestId, String reason) {
    try {
      writer.write(FrameKind.CANCEL, requestId, Messages.cancel(reason));
    } catch (IOException | FrameTooLargeException e) {
      // The worker is gone or going; its exit is handled elsewhere.
    }
  }

  /** Closes the worker's stdin; the worker exits immediately. Idempotent. */
  public void closeLifeline() {
    try {
      stdin.close();
    } catch (IOException ignored) {
      // Already closed.
    }
  }

  /** A decoded frame body as a map; an empty map for a body that is not one. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> asMap(Object value) {
    return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }
}
