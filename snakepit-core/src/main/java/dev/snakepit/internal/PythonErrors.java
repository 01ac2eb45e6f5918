package dev.snakepit.internal;

import dev.snakepit.ErrorKind;
import dev.snakepit.PythonError;
import dev.snakepit.SnakepitException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the error data a worker sends (docs/protocol.md, section 4.3) into Java types. */
public final class PythonErrors {
  private static final int MAX_CHAIN = 16;

  private PythonErrors() {}

  /** The {@link PythonError} described by an {@code exception} object, or {@code null}. */
  public static PythonError parse(Object exception) {
    return parse(exception, 0);
  }

  private static PythonError parse(Object exception, int depth) {
    if (!(exception instanceof Map<?, ?> map) || depth > MAX_CHAIN) {
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
    return new PythonError(
        text(map.get("type")),
        text(map.get("module")),
        text(map.get("message")),
        frames,
        text(map.get("traceback")),
        parse(map.get("cause"), depth + 1),
        parse(map.get("context"), depth + 1),
        Boolean.TRUE.equals(map.get("suppress_context")));
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
    return new SnakepitException(kind, message.toString(), pool, workerId, tool, error, null, asCause(error));
  }

  static String text(Object value) {
    return value == null ? null : value.toString();
  }

  static int number(Object value) {
    return value instanceof Number n ? n.intValue() : -1;
  }
}
