package dev.snakepit;

import java.time.Duration;

/**
 * How a {@link Session} behaves: where its calls may run, and when it ends by itself. Immutable; start
 * from {@link #defaults()} and change what you need.
 *
 * <pre>{@code
 * SessionOptions options = SessionOptions.defaults()
 *     .withIdleTimeout(Duration.ofMinutes(5))
 *     .withMaxLifetime(Duration.ofHours(8));
 * }</pre>
 *
 * @param affinity where the session's calls may run; {@link Affinity#STRICT} by default
 * @param idleTimeout how long the session may go without a call before the pool closes it (15 minutes
 *     by default; positive, at most 7 days)
 * @param maxLifetime how long the session may live at most, calls or not; {@link Duration#ZERO} (the
 *     default) for no limit, else positive and at most 30 days
 */
public record SessionOptions(Affinity affinity, Duration idleTimeout, Duration maxLifetime) {
  /** The default {@link #idleTimeout()}: 15 minutes. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(15);
  private static final Duration MAX_IDLE_TIMEOUT = Duration.ofDays(7);
  private static final Duration MAX_LIFETIME = Duration.ofDays(30);

  /** Where a session's calls may run. */
  public enum Affinity {
    /**
     * Only on the worker that holds the session: a call waits for that worker (at most the acquire
     * timeout), and fails with {@link ErrorKind#SESSION_LOST} once that worker is gone. The state never
     * moves without the caller's knowing.
     */
    STRICT,
    /**
     * On the worker that holds the session when it is free, else on another free worker, where the
     * adapter's {@code open_session} runs first and builds the state afresh. For state that is a cache:
     * the session survives the loss of its worker, and its calls never wait for one busy worker. Calls of
     * one session made at the same time may run on different workers.
     */
    HINT
  }

  public SessionOptions {
    if (affinity == null) {
      throw new IllegalArgumentException("SessionOptions.affinity = null is invalid: it must be STRICT or HINT");
    }
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero() || idleTimeout.compareTo(MAX_IDLE_TIMEOUT) > 0) {
      throw new IllegalArgumentException("SessionOptions.idleTimeout = " + idleTimeout + " is invalid: it must be positive and at most "
          + MAX_IDLE_TIMEOUT);
    }
    if (maxLifetime == null || maxLifetime.isNegative() || maxLifetime.compareTo(MAX_LIFETIME) > 0) {
      throw new IllegalArgumentException("SessionOptions.maxLifetime = " + maxLifetime + " is invalid: it must be between 0 (none) and "
          + MAX_LIFETIME);
    }
  }

  /** Strict affinity, an idle timeout of 15 minutes, no maximum lifetime. */
  public static SessionOptions defaults() {
    return new SessionOptions(Affinity.STRICT, DEFAULT_IDLE_TIMEOUT, Duration.ZERO);
  }

  /** These options with another affinity. */
  public SessionOptions withAffinity(Affinity value) {
    return new SessionOptions(value, idleTimeout, maxLifetime);
  }

  /** These options with another idle timeout. */
  public SessionOptions withIdleTimeout(Duration value) {
    return new SessionOptions(affinity, value, maxLifetime);
  }

  /** These options with a maximum lifetime ({@link Duration#ZERO} for none). */
  public SessionOptions withMaxLifetime(Duration value) {
    return new SessionOptions(affinity, idleTimeout, value);
  }
}
