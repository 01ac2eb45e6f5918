package dev.snakepit.internal.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every message body of docs/protocol.md section 4 that the JVM builds, and the fields it reads from
 * those the worker sends: the one place that knows their field names. Bodies are plain maps for the
 * {@link ValueEncoder}; the fixed ones are encoded here, since encoding a few strings cannot fail.
 * (HELLO is read by {@link Hello} and checked by {@link Handshake}; ERROR bodies by {@code PythonErrors}, which turns them into
 * exceptions.)
 */
public final class Messages {
  /** The key of a CALL body that makes it a batch (section 4.15). */
  public static final String BATCH = "batch";

  /** The protocol version this JVM speaks (section 4.1). */
  public static final long PROTOCOL = 1;

  private static final ValueEncoder ENCODER = new ValueEncoder();

  private Messages() {}

  /** CALL (section 4.2): the tool, its arguments, and the deadline the worker may enforce itself. */
  public static Map<String, Object> call(String tool, List<Object> args, Map<String, Object> kwargs, long timeoutMillis) {
    Map<String, Object> body = new LinkedHashMap<>(4);
    body.put("tool", tool);
    body.put("args", args);
    body.put("kwargs", kwargs);
    body.put("timeout_ms", timeoutMillis);
    return body;
  }

  /**
   * CALL of a batch (sections 4.2, 4.15): as {@link #call}, whose arguments every item shares, and
   * each item's own keyword arguments, which take precedence.
   */
  public static Map<String, Object> batch(String tool, List<Object> args, Map<String, Object> kwargs,
      List<Map<String, Object>> items, long timeoutMillis) {
    Map<String, Object> body = call(tool, args, kwargs, timeoutMillis);
    body.put(BATCH, items);
    return body;
  }

  /**
   * CALL of a session (sections 4.2, 4.12): as {@link #call}, naming the session; with
   * {@code openIfUnknown} a worker that does not hold the session opens it first.
   */
  public static Map<String, Object> sessionCall(String tool, List<Object> args, Map<String, Object> kwargs, long timeoutMillis,
      String session, boolean openIfUnknown) {
    Map<String, Object> body = call(tool, args, kwargs, timeoutMillis);
    body.put("session", session);
    if (openIfUnknown) {
      body.put("open_session", true);
    }
    return body;
  }

  /** A CALL body asking for its result as a stream (section 4.13), granting {@code credit} items at first. */
  public static Map<String, Object> streamed(Map<String, Object> call, int credit) {
    call.put("stream", Map.of("credit", (long) credit));
    return call;
  }

  /** CREDIT (section 4.13): the worker may send {@code credit} more items of the stream. */
  public static EncodedBody credit(int credit) {
    return fixed(Map.of("credit", (long) credit));
  }

  /** SESSION_OPEN (section 4.12): the worker runs the adapter's {@code open_session} for the new session. */
  public static Map<String, Object> sessionOpen(String session, long timeoutMillis) {
    Map<String, Object> body = new LinkedHashMap<>(2);
    body.put("session", session);
    body.put("timeout_ms", timeoutMillis);
    return body;
  }

  /**
   * SESSION_CLOSE (section 4.12): the worker drops the session and runs the adapter's
   * {@code close_session}; {@code reason} is one of closed, idle, lifetime, moved, drained, pool_closed.
   */
  public static Map<String, Object> sessionClose(String session, String reason, long timeoutMillis) {
    Map<String, Object> body = new LinkedHashMap<>(3);
    body.put("session", session);
    body.put("reason", reason);
    body.put("timeout_ms", timeoutMillis);
    return body;
  }

  /** SESSION_OPEN restoring a session from the snapshot another worker made of it (section 4.12). */
  public static Map<String, Object> sessionRestore(String session, byte[] snapshot, long timeoutMillis) {
    Map<String, Object> body = sessionOpen(session, timeoutMillis);
    body.put("restore", snapshot);
    return body;
  }

  /** SESSION_CLOSE asking for the session's snapshot, to move it (section 4.12): {@code close_session} does not run. */
  public static Map<String, Object> sessionSnapshot(String session, long timeoutMillis) {
    Map<String, Object> body = sessionClose(session, "moved", timeoutMillis);
    body.put("snapshot", true);
    return body;
  }

  /** WELCOME accepting a worker (section 4.1): the version agreed and the names the worker logs under. */
  public static EncodedBody welcome(String pool, String workerId) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("protocol", PROTOCOL);
    body.put("pool", pool);
    body.put("worker_id", workerId);
    return fixed(body);
  }

  /** WELCOME refusing a worker (section 4.1): no version, and why; the worker exits. */
  public static EncodedBody refusal(String error) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("protocol", null);
    body.put("error", error);
    return fixed(body);
  }

  /** SHUTDOWN (section 4.7): the worker finishes its call, runs {@code teardown()} and exits. */
  public static EncodedBody shutdown(String reason) {
    return fixed(Map.of("reason", reason));
  }

  /** CANCEL (section 4.6), sent on the control plane with the call's request id. */
  public static EncodedBody cancel(String reason) {
    return fixed(Map.of("reason", reason));
  }

  /**
   * FORK (section 4.16): the template forks worker {@code workerId}, which takes {@code environment}
   * (its own variables) before it starts.
   */
  public static EncodedBody fork(String workerId, Map<String, String> environment) {
    return fixed(Map.of("worker_id", workerId, "environment", Map.copyOf(environment)));
  }

  /** The value of a RESULT body (section 4.2). */
  public static Object resultValue(Map<?, ?> body) {
    return body.get("value");
  }

  /** The reason of a RETIRE body (section 4.11). */
  public static String retireReason(Map<?, ?> body) {
    return text(body.get("reason"));
  }

  /**
   * The pid a FATAL body (section 4.5, the worker's), or a FORKED or REAPED body (section 4.16, a
   * keeper's) names, or 0 when it gives none.
   */
  public static long pid(Map<?, ?> body) {
    return body.get("pid") instanceof Long pid && pid > 0 ? pid : 0;
  }

  /** A LOG record (section 4.4). */
  public record Log(int level, String logger, String message, String exception) {
    /** Reads a LOG body; a missing level reads as INFO (20). */
    public static Log of(Map<?, ?> body) {
      return new Log(body.get("level") instanceof Number n ? n.intValue() : 20, text(body.get("logger")),
          text(body.get("message")), text(body.get("exc")));
    }
  }

  private static String text(Object value) {
    return value == null ? null : value.toString();
  }

  private static EncodedBody fixed(Map<String, Object> body) {
    try {
      return ENCODER.encode(body);
    } catch (ValueEncodingException e) {
      throw new IllegalStateException("a body of plain strings and numbers cannot fail to encode", e);
    }
  }
}
