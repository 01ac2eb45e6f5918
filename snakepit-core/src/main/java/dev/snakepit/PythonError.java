package dev.snakepit;

import java.util.List;
import java.util.Objects;

/**
 * A Python exception, carried across the process boundary as data.
 *
 * @param type the exception's class name, such as {@code ValueError}
 * @param module the module defining that class ({@code builtins} for the built-in ones)
 * @param message {@code str(exception)}
 * @param frames the traceback, outermost call first, as Python prints it
 * @param traceback the full text Python would print, chained exceptions included
 * @param cause {@code __cause__} (set by {@code raise ... from ...}), or {@code null}
 * @param context {@code __context__} (the exception being handled when this one was raised), or {@code null}
 * @param suppressContext whether Python would hide {@code context} when printing
 */
public record PythonError(
    String type,
    String module,
    String message,
    List<Frame> frames,
    String traceback,
    PythonError cause,
    PythonError context,
    boolean suppressContext) {

  public PythonError {
    frames = List.copyOf(Objects.requireNonNull(frames, "PythonError: frames must not be null; use List.of() for none"));
  }

  /** The qualified type name, {@code module.Type}, or just {@code Type} for built-ins. */
  public String qualifiedType() {
    return module == null || module.isEmpty() || module.equals("builtins") ? type : module + "." + type;
  }

  /**
   * One line of a Python traceback.
   *
   * @param file the source file
   * @param line the line number
   * @param function the function name
   * @param source the source line, or {@code null} when unavailable
   */
  public record Frame(String file, int line, String function, String source) {}
}
