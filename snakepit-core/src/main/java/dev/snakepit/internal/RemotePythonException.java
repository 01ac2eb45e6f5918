package dev.snakepit.internal;

import dev.snakepit.PythonError;
import java.util.List;

/**
 * A Python exception dressed as a Java one, so that logging frameworks print the Python traceback
 * where they print stack traces: each Python frame becomes a {@link StackTraceElement} whose class is
 * the Python module path and whose method is the function. The chain follows Python's: the cause is
 * {@code __cause__}, or else {@code __context__} unless Python would suppress it. The sub-exceptions
 * of an exception group are its suppressed exceptions, in order, so that a stack trace prints each
 * one, and nested groups within it, below the group.
 */
public final class RemotePythonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  RemotePythonException(PythonError error) {
    super(error.qualifiedType() + ": " + error.message(), chained(error), true, true);
    setStackTrace(frames(error.frames()));
    for (PythonError member : error.exceptions()) {
      addSuppressed(new RemotePythonException(member));
    }
  }

  /** The Java frames of whoever built this exception say nothing about the Python code; skip them. */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }

  private static Throwable chained(PythonError error) {
    if (error.cause() != null) {
      return new RemotePythonException(error.cause());
    }
    if (error.context() != null && !error.suppressContext()) {
      return new RemotePythonException(error.context());
    }
    return null;
  }

  private static StackTraceElement[] frames(List<PythonError.Frame> frames) {
    StackTraceElement[] out = new StackTraceElement[frames.size()];
    // Python lists the outermost call first, Java the innermost.
    for (int i = 0; i < frames.size(); i++) {
      PythonError.Frame f = frames.get(frames.size() - 1 - i);
      String file = f.file() == null ? "<unknown>" : f.file();
      int slash = file.lastIndexOf('/');
      String shortName = slash >= 0 ? file.substring(slash + 1) : file;
      String module = shortName.endsWith(".py") ? shortName.substring(0, shortName.length() - 3) : shortName;
      out[i] = new StackTraceElement("python." + module, f.function() == null ? "<unknown>" : f.function(),
          file, f.line());
    }
    return out;
  }
}
