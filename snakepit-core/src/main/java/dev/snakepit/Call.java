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
 */
public record Call(String tool, List<Object> args, Map<String, Object> kwargs, Duration timeout) {

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
  }

  /** A call of {@code tool} without arguments. */
  public static Call of(String tool) {
    return new Call(tool, List.of(), Map.of(), null);
  }

  /** A call of {@code tool} with keyword arguments. */
  public static Call of(String tool, Map<String, ?> kwargs) {
    return new Call(tool, List.of(), copy(kwargs), null);
  }

  /** This call with one more keyword argument (replacing an earlier one of the same name). */
  public Call withArg(String name, Object value) {
    Objects.requireNonNull(name, "name");
    Map<String, Object> next = new LinkedHashMap<>(kwargs);
    next.put(name, value);
    return new Call(tool, args, next, timeout);
  }

  /** This call with these keyword arguments added. */
  public Call withKwargs(Map<String, ?> more) {
    Map<String, Object> next = new LinkedHashMap<>(kwargs);
    next.putAll(more);
    return new Call(tool, args, next, timeout);
  }

  /** This call with these positional arguments (replacing any earlier ones). */
  public Call withArgs(Object... positional) {
    List<Object> next = new ArrayList<>(positional.length);
    Collections.addAll(next, positional);
    return new Call(tool, next, kwargs, timeout);
  }

  /** This call with its own timeout instead of the pool's default. */
  public Call withTimeout(Duration value) {
    return new Call(tool, args, kwargs, Objects.requireNonNull(value, "timeout"));
  }

  private static Map<String, Object> copy(Map<String, ?> map) {
    return map == null ? Map.of() : new LinkedHashMap<>(map);
  }

  private static String quote(String s) {
    return s == null ? "null" : "'" + s + "'";
  }
}
