package dev.snakepit.server.internal;

import com.sun.net.httpserver.HttpExchange;
import dev.snakepit.Call;
import dev.snakepit.CallResult;
import dev.snakepit.ErrorKind;
import dev.snakepit.PythonError;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code POST /api/pools/{pool}/tools/{tool}}: the body is a JSON object of keyword arguments (empty for
 * none), {@code ?timeout=5s} bounds the call. The answer is {@code {"value": ..., "worker": ...}}, or
 * {@code {"error": {"kind": ..., "message": ..., "python": {...}}}} with a status that says what went
 * wrong: 400 bad arguments, 404 no such tool, 429 the pool's queue is full, 502 the worker died,
 * 503 the pool is closed, 504 the deadline passed, 500 the tool raised.
 */
public final class ToolCalls {
  private final long maxBodyBytes;

  ToolCalls(long maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  void call(HttpExchange exchange, String poolName, Snakepit pool, String tool) throws IOException {
    if (pool.tool(tool).isEmpty()) {
      throw new Exchanges.HttpError(404, "pool '" + poolName + "' has no tool '" + tool + "'; its tools are "
          + String.join(", ", pool.tools().stream().map(t -> t.name()).toList()));
    }
    byte[] body = Exchanges.body(exchange, maxBodyBytes);
    Call call = Call.of(tool, arguments(exchange, body));
    String timeout = Exchanges.query(exchange).get("timeout");
    if (timeout != null) {
      try {
        call = call.withTimeout(Values.duration(timeout));
      } catch (IllegalArgumentException e) {
        throw new Exchanges.HttpError(400, "timeout " + e.getMessage());
      }
    }
    CallResult result;
    try {
      result = pool.executeDetailed(call);
    } catch (SnakepitException e) {
      if (e.kind() == ErrorKind.RESOURCE_EXHAUSTED) {
        exchange.getResponseHeaders().set("Retry-After", "1");
      }
      Exchanges.json(exchange, status(e.kind()), Map.of("error", error(e)));
      return;
    }
    Exchanges.json(exchange, 200, answer(result));
  }

  /** A call's value and where and how long it ran, as {@code 200} answers it. */
  public static Map<String, Object> answer(CallResult result) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("value", JsonValues.toJson(result.value()));
    out.put("worker", result.workerId());
    out.put("pid", result.workerPid());
    out.put("queuedMs", millis(result.queued()));
    out.put("ranMs", millis(result.ran()));
    out.put("attempts", result.attempts());
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> arguments(HttpExchange exchange, byte[] body) throws IOException {
    if (body.length == 0) {
      return Map.of();
    }
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    // Only JSON: a form post from another site's page cannot reach a tool without a CORS preflight.
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw new Exchanges.HttpError(415, "the body must be JSON, sent as Content-Type: application/json (got "
          + (type == null ? "none" : type) + ")");
    }
    Object parsed;
    try {
      parsed = Json.read(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new Exchanges.HttpError(400, "the body is not valid JSON: " + e.getOriginalMessage());
    }
    if (!(parsed instanceof Map<?, ?> map)) {
      throw new Exchanges.HttpError(400, "the body must be a JSON object of keyword arguments, such as {\"a\": 1}");
    }
    return (Map<String, Object>) map;
  }

  static int status(ErrorKind kind) {
    return switch (kind) {
      case INVALID_REQUEST, SERIALIZATION_ERROR -> 400;
      case SESSION_LOST -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case PYTHON_EXCEPTION -> 500;
      case WORKER_CRASHED -> 502;
      case POOL_CLOSED, CANCELLED -> 503;
      case TIMEOUT -> 504;
    };
  }

  public static Map<String, Object> error(SnakepitException e) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("kind", e.kind().name());
    out.put("message", e.getMessage());
    out.put("retry", e.retry().name());
    e.pool().ifPresent(p -> out.put("pool", p));
    e.tool().ifPresent(t -> out.put("tool", t));
    e.workerId().ifPresent(w -> out.put("worker", w));
    e.pythonError().ifPresent(p -> out.put("python", python(p)));
    e.workerExit().ifPresent(x -> out.put("exit", exit(x)));
    return out;
  }

  private static Map<String, Object> python(PythonError p) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", p.qualifiedType());
    out.put("message", p.message());
    out.put("traceback", p.traceback());
    return out;
  }

  private static Map<String, Object> exit(WorkerExit x) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("pid", x.pid());
    out.put("cause", x.cause().name());
    out.put("described", x.describe());
    out.put("stderrTail", x.stderrTail());
    return out;
  }

  private static double millis(Duration d) {
    return d.toNanos() / 1e6;
  }
}
