package dev.snakepit.spi;

import dev.snakepit.SnakepitException;
import java.util.Map;

/**
 * Traces calls: a span per call attempt on the JVM, whose W3C trace context travels to the worker in
 * the CALL frame, so that spans the Python code makes join the caller's trace
 * ({@code docs/protocol.md}, section 4.2). The {@code snakepit-opentelemetry} module is one; a pool
 * without one sends no trace context.
 *
 * <p>{@link #start} runs on the calling thread, so a tracer finds the caller's current span there and
 * makes the call's span its child. {@link Trace#end} runs once, on a pool thread, and must not block.
 * An exception thrown by either is logged and the call goes on untraced.
 */
@FunctionalInterface
public interface CallTracer {
  /** Traces nothing. */
  CallTracer NONE = (pool, tool) -> null;

  /**
   * Begins the trace of one attempt of a call of {@code tool} in {@code pool}: a call sent again after
   * its worker died gets a trace of its own.
   *
   * @return the attempt's trace, or {@code null} to leave it untraced
   */
  Trace start(String pool, String tool);

  /** The trace of one call attempt. */
  interface Trace {
    /**
     * The trace context to send with the call, as W3C Trace Context headers: {@code traceparent}, and
     * {@code tracestate} when there is one. Other keys are not sent.
     */
    Map<String, String> headers();

    /**
     * The attempt ended.
     *
     * @param workerId the worker that ran it, or {@code null} when it never reached one
     * @param error why it failed, or {@code null} when it returned a value
     */
    void end(String workerId, SnakepitException error);
  }
}
