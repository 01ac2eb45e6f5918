package dev.snakepit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One call of a {@link HostFunction} from Python: its arguments, and the Python call it serves.
 */
public final class HostCall {
  private final String function;
  private final List<Object> args;
  private final Map<String, Object> kwargs;
  private final String tool;
  private final String workerId;
  private final int depth;
  private final long deadlineNanos;
  private final LongSupplier clock;

  /**
   * @param function the function's name
   * @param args positional arguments
   * @param kwargs keyword arguments
   * @param tool the tool whose call made this one
   * @param workerId the worker running that tool
   * @param depth 1 for a call from a tool Java called, 2 for one from a tool a host function called, and so on
   * @param deadlineNanos when that tool's call times out, in {@code clock}'s nanoseconds
   * @param clock the pool's monotonic clock
   */
  public HostCall(String function, List<Object> args, Map<String, Object> kwargs, String tool, String workerId, int depth,
      long deadlineNanos, LongSupplier clock) {
    this.function = function;
    this.args = Collections.unmodifiableList(new ArrayList<>(args));
    this.kwargs = Collections.unmodifiableMap(new LinkedHashMap<>(kwargs));
    this.tool = tool;
    this.workerId = workerId;
    this.depth = depth;
    this.deadlineNanos = deadlineNanos;
    this.clock = clock;
  }

  /** The function's name, as registered. */
  public String function() {
    return function;
  }

  /** The positional arguments, converted as results are; may hold nulls. */
  public List<Object> args() {
    return args;
  }

  /** The keyword arguments, in Python's order. */
  public Map<String, Object> kwargs() {
    return kwargs;
  }

  /** The tool whose code made this call. */
  public String tool() {
    return tool;
  }

  /** The worker running that tool, such as {@code w2}. */
  public String workerId() {
    return workerId;
  }

  /** How deep the call is nested: 1 for a call from a tool that Java called directly. */
  public int depth() {
    return depth;
  }

  /** How long is left until the tool's call times out (negative once it has); the function is interrupted then. */
  public Duration timeLeft() {
    return Duration.ofNanos(deadlineNanos - clock.getAsLong());
  }

  @Override
  public String toString() {
    return "HostCall[" + function + " from tool '" + tool + "' on " + workerId + ", depth " + depth + "]";
  }
}
