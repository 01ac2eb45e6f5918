package dev.snakepit.internal;

import dev.snakepit.ErrorKind;
import dev.snakepit.SnakepitException;
import dev.snakepit.internal.dispatch.PendingCall;
import dev.snakepit.spi.CallTracer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the pool's {@link CallTracer} around each call attempt, so that a tracer that throws or returns
 * junk never breaks a call: its exception is logged and the call goes on untraced, and only well-formed
 * {@code traceparent} and {@code tracestate} headers are sent.
 */
final class CallTracing {
  private static final Logger LOG = LoggerFactory.getLogger(CallTracing.class);
  /** W3C Trace Context: version, trace id, parent id, flags, in lower-case hex. */
  private static final Pattern TRACEPARENT =
      Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
  /** The W3C limit is 32 list members; 512 bytes is what the specification asks receivers to keep at least. */
  private static final int MAX_TRACESTATE = 512;

  private final String pool;
  private final CallTracer tracer;

  CallTracing(String pool, CallTracer tracer) {
    this.pool = pool;
    this.tracer = tracer;
  }

  /** The trace of a new attempt of {@code tool}, or null when untraced. */
  CallTracer.Trace start(String tool) {
    if (tracer == CallTracer.NONE) {
      return null;
    }
    try {
      return tracer.start(pool, tool);
    } catch (RuntimeException e) {
      LOG.warn("CallTracer {} of pool '{}' threw at the start of a call of '{}'; the call is not traced",
          tracer.getClass().getName(), pool, tool, e);
      return null;
    }
  }

  /** {@code body} with the trace's headers as its {@code "trace"} member; {@code body} itself when it has none fit to send. */
  Map<String, Object> traced(Map<String, Object> body, CallTracer.Trace trace) {
    Map<String, String> headers;
    try {
      headers = trace.headers();
    } catch (RuntimeException e) {
      LOG.warn("CallTracer {} of pool '{}' threw for the headers of a call; it is sent without them",
          tracer.getClass().getName(), pool, e);
      return body;
    }
    String parent = headers == null ? null : headers.get("traceparent");
    if (parent == null || !TRACEPARENT.matcher(parent).matches()) {
      return body;
    }
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("traceparent", parent);
    String state = headers.get("tracestate");
    if (state != null && !state.isEmpty() && state.length() <= MAX_TRACESTATE) {
      context.put("tracestate", state);
    }
    Map<String, Object> copy = new LinkedHashMap<>(body);
    copy.put("trace", context);
    return copy;
  }

  /** Ends {@code trace} once its attempt, {@code call} (null when it never became one), ended with {@code error}. */
  void end(CallTracer.Trace trace, PendingCall call, Throwable error) {
    String worker = call == null || call.answeredBy() == null ? null : call.answeredBy().id();
    SnakepitException failure = error == null ? null : error instanceof SnakepitException s ? s
        : SnakepitException.builder(ErrorKind.WORKER_CRASHED, String.valueOf(error.getMessage())).pool(pool).cause(error).build();
    try {
      trace.end(worker, failure);
    } catch (RuntimeException e) {
      LOG.warn("CallTracer {} of pool '{}' threw at the end of a call", tracer.getClass().getName(), pool, e);
    }
  }
}
