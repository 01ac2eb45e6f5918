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
 * @param exceptions for an exception group ({@code ExceptionGroup}, {@code BaseExceptionGroup}),
 *     its sub-exceptions in order, each described like this one (nested groups included); empty for
 *     any other exception
 * @param exceptionsLeftOut how many of a group's sub-exceptions {@code exceptions} lacks: those past
 *     the first 64, those already described elsewhere in this error, and those beyond the bounds of
 *     a description (docs/protocol.md, section 4.3); 0 for any other exception
 */
public record PythonError(
    String type,
    String module,
    String message,
    List<Frame> frames,
    String traceback,
    PythonError cause,
    PythonError context,
    boolean suppressContext,
    List<PythonError> exceptions,
    int exceptionsLeftOut) {

  public PythonError {
    frames = List.copyOf(Objects.requireNonNull(frames, "PythonError: frames must not be null; use List.of() for none"));
    exceptions = List.copyOf(Objects.requireNonNull(exceptions, "PythonError: exceptions must not be null; use List.of() for none"));
    if (exceptionsLeftOut < 0) {
      throw new IllegalArgumentException(
          "PythonError.exceptionsLeftOut = " + exceptionsLeftOut + " is invalid: it must be 0 or more");
    }
  }

  /** An exception that is not a group. */
  public PythonError(String type, String module, String message, List<Frame> frames, String traceback,
      PythonError cause, PythonError context, boolean suppressContext) {
    this(type, module, message, frames, traceback, cause, context, suppressContext, List.of(), 0);
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
