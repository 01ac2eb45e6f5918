package dev.snakepit.internal;

import dev.snakepit.ErrorKind;
import dev.snakepit.PythonError;
import dev.snakepit.SnakepitException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the error data a worker sends (docs/protocol.md, section 4.3) into Java types. */
public final class PythonErrors {
  /** Levels read, the top one counted, as the worker's description has at most (section 4.3). */
  private static final int MAX_LEVELS = 16;

  private PythonErrors() {}

  /** The {@link PythonError} described by an {@code exception} object, or {@code null}. */
  public static PythonError parse(Object exception) {
    return parse(exception, 1);
  }

  private static PythonError parse(Object exception, int level) {
    if (!(exception instanceof Map<?, ?> map) || level > MAX_LEVELS) {
      return null;
    }
    List<PythonError.Frame> frames = new ArrayList<>();
    if (map.get("frames") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> f) {
          frames.add(new PythonError.Frame(text(f.get("file")), number(f.get("line")),
              text(f.get("function")), text(f.get("source"))));
        }
      }
    }
    // Only an exception group has "exceptions": an entry per sub-exception, null for one described
    // elsewhere or beyond the bounds, and "exceptions_left_out" counting those past the first 64.
    List<PythonError> members = new ArrayList<>();
    int leftOut = Math.max(0, number(map.get("exceptions_left_out")));
    if (map.get("exceptions") instanceof List<?> list) {
      for (Object item : list) {
        PythonError member = parse(item, level + 1);
        if (member == null) {
          leftOut++;
        } else {
          members.add(member);
        }
      }
    }
    return new PythonError(
        text(map.get("type")),
        text(map.get("module")),
        text(map.get("message")),
        frames,
        text(map.get("traceback")),
        parse(map.get("cause"), level + 1),
        parse(map.get("context"), level + 1),
        Boolean.TRUE.equals(map.get("suppress_context")),
        members,
        leftOut);
  }

  /** The Java cause that shows a Python error's traceback, or {@code null} without one. */
  public static Throwable asCause(PythonError error) {
    return error == null ? null : new RemotePythonException(error);
  }

  /**
   * The exception for an ERROR frame's body.
   *
   * @param context describes the call for the message, such as {@code "tool 'add' on worker w2 of pool 'p'"}
   */
  public static SnakepitException fromErrorBody(
      Map<?, ?> body, String pool, String workerId, String tool, String context) {
    ErrorKind kind;
    try {
      kind = ErrorKind.valueOf(text(body.get("kind")));
    } catch (IllegalArgumentException | NullPointerException e) {
      kind = ErrorKind.PYTHON_EXCEPTION;
    }
    PythonError error = parse(body.get("exception"));
    StringBuilder message = new StringBuilder();
    message.append(text(body.get("message"))).append(" [").append(context).append(']');
    if (error != null && error.traceback() != null && !error.traceback().isEmpty()) {
      message.append("\nPython traceback:\n").append(error.traceback().stripTrailing());
    }
    return SnakepitException.builder(kind, message.toString())
        .pool(pool).worker(workerId).tool(tool).pythonError(error).cause(asCause(error)).build();
  }

  static String text(Object value) {
    return value == null ? null : value.toString();
  }

  static int number(Object value) {
    return value instanceof Number n ? n.intValue() : -1;
  }
}
