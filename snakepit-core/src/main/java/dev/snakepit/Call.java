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
 * {@code null} values are allowed.
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

  public Call {
    if (tool == null || tool.isEmpty()) {
      throw new IllegalArgumentException("tool: must be a non-empty tool name, got " + quote(tool));
    }
    args = Collections.unmodifiableList(new ArrayList<>(args == null ? List.of() : args));
    kwargs = Collections.unmodifiableMap(new LinkedHashMap<>(kwargs == null ? Map.of() : kwargs));
    for (String key : kwargs.keySet()) {
      if (key == null) {
        throw new IllegalArgumentException("kwargs of tool '" + tool + "': keyword names must not be null");
      }
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException(
          "timeout of tool '" + tool + "': " + timeout + " is invalid; it must be positive");
    }
    if (retries < 0 || retries > MAX_RETRIES) {
      throw new IllegalArgumentException(
          "retries of tool '" + tool + "': " + retries + " is invalid; it must be 0 to " + MAX_RETRIES);
    }
  }

  /** A call that is never retried. */
  public Call(String tool, List<Object> args, Map<String, Object> kwargs, Duration timeout) {
    this(tool, args, kwargs, timeout, 0);
  }

  /** A call of {@code tool} without arguments. */
  public static Call of(String tool) {
    return new Call(tool, List.of(), Map.of(), null, 0);
  }

  /** A call of {@code tool} with keyword arguments. */
  public static Call of(String tool, Map<String, ?> kwargs) {
    return new Call(tool, List.of(), copy(kwargs), null, 0);
  }

  /** This call with one more keyword argument (replacing an earlier one of the same name). */
  public Call withArg(String name, Object value) {
    Objects.requireNonNull(name, "name");
    Map<String, Object> next = new LinkedHashMap<>(kwargs);
    next.put(name, value);
    return new Call(tool, args, next, timeout, retries);
  }

  /** This call with these keyword arguments added. */
  public Call withKwargs(Map<String, ?> more) {
    Map<String, Object> next = new LinkedHashMap<>(kwargs);
    next.putAll(more);
    return new Call(tool, args, next, timeout, retries);
  }

  /** This call with these positional arguments (replacing any earlier ones). */
  public Call withArgs(Object... positional) {
    List<Object> next = new ArrayList<>(positional.length);
    Collections.addAll(next, positional);
    return new Call(tool, next, kwargs, timeout, retries);
  }

  /** This call with its own timeout instead of the pool's default. */
  public Call withTimeout(Duration value) {
    return new Call(tool, args, kwargs, Objects.requireNonNull(value, "timeout"), retries);
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

  private static Map<String, Object> copy(Map<String, ?> map) {
    return map == null ? Map.of() : new LinkedHashMap<>(map);
  }

  private static String quote(String s) {
    return s == null ? "null" : "'" + s + "'";
  }
}
