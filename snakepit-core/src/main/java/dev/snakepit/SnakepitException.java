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

  private SnakepitException(Builder b) {
    super(b.message, b.cause);
    this.kind = b.kind;
    this.pool = b.pool;
    this.workerId = b.workerId;
    this.tool = b.tool;
    this.pythonError = b.pythonError;
    this.workerExit = b.workerExit;
  }

  /**
   * Creates an exception with only a kind and a message. Applications rarely need to; it is public so
   * that test doubles of code that uses Snakepit can throw the real thing.
   */
  public SnakepitException(ErrorKind kind, String message) {
    this(builder(kind, message));
  }

  /**
   * Starts an exception of this kind with this full message; the builder's other parts are optional.
   *
   * <pre>{@code
   * throw SnakepitException.builder(ErrorKind.TIMEOUT, "no answer within 2 s")
   *     .pool("scoring").worker("w3").tool("predict").build();
   * }</pre>
   */
  public static Builder builder(ErrorKind kind, String message) {
    return new Builder(kind, message);
  }

  /** Collects the parts of a {@link SnakepitException}; every part but the kind and message is optional. */
  public static final class Builder {
    private final ErrorKind kind;
    private final String message;
    private String pool;
    private String workerId;
    private String tool;
    private PythonError pythonError;
    private WorkerExit workerExit;
    private Throwable cause;

    private Builder(ErrorKind kind, String message) {
      this.kind = Objects.requireNonNull(kind, "SnakepitException: kind must not be null");
      this.message = message;
    }

    /** The pool's name. */
    public Builder pool(String pool) {
      this.pool = pool;
      return this;
    }

    /** The worker involved, such as {@code w3}. */
    public Builder worker(String workerId) {
      this.workerId = workerId;
      return this;
    }

    /** The tool called. */
    public Builder tool(String tool) {
      this.tool = tool;
      return this;
    }

    /** The Python exception behind this one. */
    public Builder pythonError(PythonError pythonError) {
      this.pythonError = pythonError;
      return this;
    }

    /** How the worker ended. */
    public Builder workerExit(WorkerExit workerExit) {
      this.workerExit = workerExit;
      return this;
    }

    /** The underlying cause. */
    public Builder cause(Throwable cause) {
      this.cause = cause;
      return this;
    }

    /** The exception, ready to throw. */
    public SnakepitException build() {
      return new SnakepitException(this);
    }
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
