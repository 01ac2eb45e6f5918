package dev.snakepit.opentelemetry;

import dev.snakepit.SnakepitException;
import dev.snakepit.spi.CallTracer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Traces a pool's calls with OpenTelemetry: each call attempt is a {@link SpanKind#CLIENT} span named
 * after its tool, a child of the caller's current span, and its W3C trace context goes to the worker
 * with the call. In the worker, {@code snakepit.trace_context()} gives that context, and with
 * OpenTelemetry installed it is the current context while the call runs, so spans made there are
 * children of the call's span.
 *
 * <pre>{@code
 * PoolConfig config = PoolConfig.builder("my_models:Adapter")
 *     .tracer(SnakepitTracing.create(openTelemetry))
 *     .build();
 * }</pre>
 *
 * <p>A span carries {@value #POOL}, {@value #TOOL}, {@value #WORKER} (once a worker ran it) and
 * {@value #OUTCOME} ({@code success} or {@code error}); a failed one also {@value #ERROR_KIND}, the
 * error recorded as an exception event, and the status {@link StatusCode#ERROR}. The context always
 * travels in W3C form, whatever propagators {@code openTelemetry} is configured with.
 */
public final class SnakepitTracing implements CallTracer {
  /** The instrumentation scope's name. */
  public static final String SCOPE = "dev.snakepit";
  /** Attribute: the pool's name. */
  public static final String POOL = "snakepit.pool";
  /** Attribute: the tool called. */
  public static final String TOOL = "snakepit.tool";
  /** Attribute: the worker that ran the call, such as {@code w3}. */
  public static final String WORKER = "snakepit.worker";
  /** Attribute: {@code success} or {@code error}. */
  public static final String OUTCOME = "snakepit.outcome";
  /** Attribute: a failed call's error kind in lower case, such as {@code timeout}. */
  public static final String ERROR_KIND = "snakepit.error.kind";

  private static final AttributeKey<String> POOL_KEY = AttributeKey.stringKey(POOL);
  private static final AttributeKey<String> TOOL_KEY = AttributeKey.stringKey(TOOL);
  private static final AttributeKey<String> WORKER_KEY = AttributeKey.stringKey(WORKER);
  private static final AttributeKey<String> OUTCOME_KEY = AttributeKey.stringKey(OUTCOME);
  private static final AttributeKey<String> ERROR_KIND_KEY = AttributeKey.stringKey(ERROR_KIND);
  private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  private static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");

  private final Tracer tracer;

  private SnakepitTracing(Tracer tracer) {
    this.tracer = tracer;
  }

  /** Traces with {@code openTelemetry}'s tracer of scope {@value #SCOPE}. */
  public static SnakepitTracing create(OpenTelemetry openTelemetry) {
    Objects.requireNonNull(openTelemetry, "SnakepitTracing.create: openTelemetry must not be null");
    return new SnakepitTracing(openTelemetry.getTracer(SCOPE));
  }

  @Override
  public Trace start(String pool, String tool) {
    Span span = tracer.spanBuilder(tool).setSpanKind(SpanKind.CLIENT).setParent(Context.current())
        .setAttribute(POOL_KEY, pool).setAttribute(TOOL_KEY, tool)
        .setAttribute(RPC_SYSTEM, "snakepit").setAttribute(RPC_SERVICE, pool).setAttribute(RPC_METHOD, tool)
        .startSpan();
    return new CallSpan(span);
  }

  /** One attempt's span. */
  private record CallSpan(Span span) implements Trace {
    @Override
    public Map<String, String> headers() {
      Map<String, String> headers = new HashMap<>(2);
      W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), headers, Map::put);
      return headers;
    }

    @Override
    public void end(String workerId, SnakepitException error) {
      if (workerId != null) {
        span.setAttribute(WORKER_KEY, workerId);
      }
      if (error == null) {
        span.setAttribute(OUTCOME_KEY, "success");
      } else {
        span.setAttribute(OUTCOME_KEY, "error");
        span.setAttribute(ERROR_KIND_KEY, error.kind().name().toLowerCase(Locale.ROOT));
        span.recordException(error);
        span.setStatus(StatusCode.ERROR, error.kind().name());
      }
      span.end();
    }
  }
}
