package dev.snakepit;

/**
 * Why a call or a pool operation failed. The set is closed: every {@link SnakepitException} carries
 * exactly one of these, and each says whether trying again is safe.
 */
public enum ErrorKind {
  /**
   * The call ran past its deadline. The worker was told to cancel it; it may have had effects.
   * Retry only idempotent tools.
   */
  TIMEOUT(Retry.IF_IDEMPOTENT),
  /**
   * The worker died or broke the protocol while the call was on it (the message gives the exit code
   * or signal and the tail of its stderr). The call may have run in part. Retry only idempotent tools;
   * the pool replaces the worker by itself.
   */
  WORKER_CRASHED(Retry.IF_IDEMPOTENT),
  /**
   * A value could not cross the boundary: an unsupported type, a map with a non-string key, or a
   * message above the maximum frame size. The message names the path of the value. The same input
   * fails again, so retrying is pointless.
   */
  SERIALIZATION_ERROR(Retry.NO),
  /** The tool raised; {@link SnakepitException#pythonError()} has the type and traceback. Not retryable as is. */
  PYTHON_EXCEPTION(Retry.NO),
  /**
   * The request cannot be served as asked: an unknown tool (the message lists the available ones),
   * arguments that do not fit the tool's signature, or an invalid configuration. Not retryable as is.
   */
  INVALID_REQUEST(Retry.NO),
  /**
   * No worker became free within the acquire timeout, or the wait queue was full. The call never
   * started, so it is always safe to retry, preferably after a pause. Also a value that did not fit in
   * the pool's shared memory (its directory is full; the message says how to make room): arguments
   * were then never sent, but a result that did not fit was computed, so such a call is safe to repeat
   * only for an idempotent tool.
   */
  RESOURCE_EXHAUSTED(Retry.SAFE),
  /** The pool is closed or closing. Nothing was started; retry on another pool, not on this one. */
  POOL_CLOSED(Retry.NO),
  /**
   * The caller cancelled the call (or interrupted the waiting thread). The call may have run in part.
   */
  CANCELLED(Retry.IF_IDEMPOTENT),
  /**
   * The session's state is gone: the worker holding it died or is being stopped, the session expired
   * (its idle timeout or maximum lifetime passed), or the worker does not know it. The message says
   * which. A call that was running when its worker died may have run in part; a queued one did not
   * run. Retrying on the same session fails the same way: open a new session and rebuild its state.
   */
  SESSION_LOST(Retry.NO);

  /** Whether repeating a failed call is safe. */
  public enum Retry {
    /** The call did not start; repeating it cannot duplicate an effect. */
    SAFE,
    /** The call may have run, wholly or in part; repeat it only if the tool is idempotent. */
    IF_IDEMPOTENT,
    /** Repeating the same call would fail the same way. */
    NO
  }

  private final Retry retry;

  ErrorKind(Retry retry) {
    this.retry = retry;
  }

  /** Whether a failed call of this kind may be repeated. */
  public Retry retry() {
    return retry;
  }
}
