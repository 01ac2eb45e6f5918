package dev.snakepit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One invocation of a tool: its name, positional and keyword arguments, and optionally a timeout that
 * overrides the pool's default. Immutable; each {@code with...} method returns a new call.
 *
 * <pre>{@code
 * Object sum = pool.execute(Call.of("add").withArg("a", 1).withArg("b", 2).withTimeout(Duration.ofSeconds(1)));
 * }</pre>
 *
 * <p>Argument values follow the type mapping in {@code docs/protocol.md}: {@code null}, booleans,
 * integers of any size, floats, strings, {@code byte[]}, collections, arrays and maps with string keys.
 * {@code null} values are allowed; whether a value can cross is checked when the call is sent.
 *
 * <p>Everything else is checked here, as the call is made: a {@code null} where an object is needed
 * (the tool's name, the lists and maps, a name, a timeout) throws a {@link NullPointerException}, and a
 * value that breaks a rule (a blank tool name, a {@code null} keyword name, a timeout that is not
 * positive or above one day, retries out of range) throws an {@link IllegalArgumentException}; both
 * messages name the argument, and the second also the value and the rule.
 *
 * @param tool the tool's name
 * @param args positional arguments (unmodifiable)
 * @param kwargs keyword arguments, in insertion order (unmodifiable)
 * @param timeout how long the call may run once a worker has it, or {@code null} for the pool's default
 * @param retries how many times the call is sent again if its worker dies under it (0: never); see
 *     {@link #withRetries(int)}
 */
public record Call(String tool, List<Object> args, Map<String, Object> kwargs, Duration timeout, int retries) {

  /** The most retries a call may ask for. */
  public static final int MAX_RETRIES = 10;
  /** The longest timeout a call may ask for, as for {@link PoolConfig.Builder#callTimeout}. */
  private static final Duration MAX_TIMEOUT = Duration.ofDays(1);

  public Call {
    Objects.requireNonNull(tool, "Call: tool must not be null");
    if (tool.isBlank()) {
      throw invalid("tool", "'" + tool + "'", "it must be a tool's name, not empty or blank", null);
    }
    Objects.requireNonNull(args, "Call: args must not be null; use List.of() for none");
    Objects.requireNonNull(kwargs, "Call: kwargs must not be null; use Map.of() for none");
    args = Collections.unmodifiableList(new ArrayList<>(args));
    kwargs = Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
    for (Object key : kwargs.keySet()) {
      // Object, not String: a raw map may hold other keys, which would fail later with a bare ClassCastException.
      if (!(key instanceof String)) {
        throw invalid("kwargs key", key == null ? "null" : key + " (" + key.getClass().getName() + ")",
            "every keyword name must be a String", tool);
      }
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0)) {
      throw invalid("timeout", timeout, "it must be positive and at most " + MAX_TIMEOUT, tool);
    }
    if (retries < 0 || retries > MAX_RETRIES) {
      throw invalid("retries", retries, "it must be 0 to " + MAX_RETRIES, tool);
    }
  }

  /** A call that is never retried. */
  public Call(String tool, List<Object> args, Map<String, Object> kwargs, Duration timeout) {
    this(tool, args, kwargs, timeout, 0);
  }

  /** A call of {@code tool} without arguments. */
  public static Call of(String tool) {
    return new Call(Objects.requireNonNull(tool, "Call.of: tool must not be null"), List.of(), Map.of(), null, 0);
  }

  /** A call of {@code tool} with keyword arguments. */
  public static Call of(String tool, Map<String, ?> kwargs) {
    Objects.requireNonNull(tool, "Call.of: tool must not be null");
    Objects.requireNonNull(kwargs, "Call.of: kwargs must not be null; use Call.of(tool) for none");
    return new Call(tool, List.of(), new LinkedHashMap<>(kwargs), null, 0);
  }

  /** This call with one more keyword argument (replacing an earlier one of the same name). */
  public Call withArg(String name, Object value) {
    Objects.requireNonNull(name, "Call.withArg: name must not be null");
    Map<String, Object> next = new LinkedHashMap<>(kwargs);
    next.put(name, value);
    return new Call(tool, args, next, timeout, retries);
  }

  /** This call with these keyword arguments added. */
  public Call withKwargs(Map<String, ?> more) {
    Objects.requireNonNull(more, "Call.withKwargs: kwargs must not be null");
    Map<String, Object> next = new LinkedHashMap<>(kwargs);
    next.putAll(more);
    return new Call(tool, args, next, timeout, retries);
  }

  /**
   * This call with these positional arguments (replacing any earlier ones). A single {@code null}
   * argument is written {@code withArgs((Object) null)}.
   */
  public Call withArgs(Object... positional) {
    Objects.requireNonNull(positional, "Call.withArgs: the array of arguments must not be null;"
        + " write withArgs((Object) null) for one null argument");
    List<Object> next = new ArrayList<>(positional.length);
    Collections.addAll(next, positional);
    return new Call(tool, next, kwargs, timeout, retries);
  }

  /** This call with its own timeout instead of the pool's default: positive, at most one day. */
  public Call withTimeout(Duration value) {
    return new Call(tool, args, kwargs, Objects.requireNonNull(value, "Call.withTimeout: timeout must not be null"), retries);
  }

  /**
   * This call, declared idempotent: when its worker dies while running it ({@link ErrorKind#WORKER_CRASHED}),
   * the pool sends it again, to another worker, up to {@code maxRetries} times; each attempt has the
   * full timeout. Any other failure ends the call at once. Ask for this only for tools that may safely
   * run twice: a worker that dies may have done part or all of the work. The exception of the last
   * attempt carries the earlier attempts' exceptions as {@linkplain Throwable#getSuppressed() suppressed}.
   *
   * @throws IllegalArgumentException if {@code maxRetries} is not 0 to {@link #MAX_RETRIES}
   */
  public Call withRetries(int maxRetries) {
    return new Call(tool, args, kwargs, timeout, maxRetries);
  }

  /** The message of {@link PoolConfig}'s setters: field, value, rule, and the tool when there is one. */
  private static IllegalArgumentException invalid(String field, Object shown, String rule, String tool) {
    return new IllegalArgumentException("Call." + field + " = " + shown + " is invalid: " + rule
        + (tool == null ? "" : " (call of tool '" + tool + "')"));
  }
}
