package dev.snakepit;

import java.util.Objects;
import java.util.Optional;

/**
 * The one exception Snakepit throws. Its {@link #kind()} says what went wrong and whether a retry is
 * safe; its message names the pool, the worker and the tool involved and, where it helps, the pool's
 * counts at that moment.
 *
 * <p>For {@link ErrorKind#PYTHON_EXCEPTION} the Python exception is available as data through
 * {@link #pythonError()}, and also as this exception's {@linkplain #getCause() cause}, whose stack
 * trace is the Python traceback, so logging frameworks print it as they print Java frames. For
 * {@link ErrorKind#WORKER_CRASHED} {@link #workerExit()} has the exit code or signal and the tail of
 * the worker's stderr.
 */
public final class SnakepitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorKind kind;
  private final String pool;
  private final String workerId;
  private final String tool;
  private final transient PythonError pythonError;
  private final transient WorkerExit workerExit;

  /**
   * Creates an exception. Applications rarely need to; it is public so that test doubles of code that
   * uses Snakepit can throw the real thing.
   *
   * @param kind what went wrong
   * @param message the full message
   * @param pool the pool's name, or {@code null}
   * @param workerId the worker involved, or {@code null}
   * @param tool the tool called, or {@code null}
   * @param pythonError the Python exception behind this one, or {@code null}
   * @param workerExit how the worker ended, or {@code null}
   * @param cause the underlying cause, or {@code null}
   */
  public SnakepitException(
      ErrorKind kind,
      String message,
      String pool,
      String workerId,
      String tool,
      PythonError pythonError,
      WorkerExit workerExit,
      Throwable cause) {
    super(message, cause);
    Objects.requireNonNull(kind, "SnakepitException: kind must not be null");
    this.kind = kind;
    this.pool = pool;
    this.workerId = workerId;
    this.tool = tool;
    this.pythonError = pythonError;
    this.workerExit = workerExit;
  }

  /** Creates an exception with only a kind and a message. */
  public SnakepitException(ErrorKind kind, String message) {
    this(kind, message, null, null, null, null, null, null);
  }

  /** What went wrong. */
  public ErrorKind kind() {
    return kind;
  }

  /** Whether repeating the failed call is safe; shorthand for {@code kind().retry()}. */
  public ErrorKind.Retry retry() {
    return kind.retry();
  }

  /** The pool's name, when the error belongs to a pool. */
  public Optional<String> pool() {
    return Optional.ofNullable(pool);
  }

  /** The worker involved, such as {@code w3}, when one was. */
  public Optional<String> workerId() {
    return Optional.ofNullable(workerId);
  }

  /** The tool called, when the error belongs to a call. */
  public Optional<String> tool() {
    return Optional.ofNullable(tool);
  }

  /** The Python exception, for {@link ErrorKind#PYTHON_EXCEPTION} and start-up failures. */
  public Optional<PythonError> pythonError() {
    return Optional.ofNullable(pythonError);
  }

  /** How the worker ended, when the error comes from a worker's death. */
  public Optional<WorkerExit> workerExit() {
    return Optional.ofNullable(workerExit);
  }
}
