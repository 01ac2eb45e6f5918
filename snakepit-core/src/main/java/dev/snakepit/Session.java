package dev.snakepit;

import dev.snakepit.internal.CallRunner;
import dev.snakepit.internal.StreamPublisher;
import dev.snakepit.internal.session.OpenSession;
import dev.snakepit.internal.session.Sessions;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * Python state kept in one worker across calls. Open one with {@link Snakepit#openSession}; its calls
 * run on the worker holding it, where tools reach the session through {@code snakepit.current_session()}
 * (its {@code id} and a {@code state} dict), and the adapter's {@code open_session} and
 * {@code close_session} hooks run when it opens and closes.
 *
 * <pre>{@code
 * try (Session chat = python.openSession()) {
 *   chat.execute("remember", Map.of("fact", "the sky is blue"));
 *   Object facts = chat.execute("recall", Map.of());        // same worker, same state
 * }
 * }</pre>
 *
 * <p>A session with {@linkplain SessionOptions.Affinity#STRICT strict} affinity (the default) never
 * runs a call anywhere else: when its worker dies, or is stopped or recycled, the session is lost and
 * its calls fail with {@link ErrorKind#SESSION_LOST}, the running one included. It ends by itself after
 * its {@linkplain SessionOptions#idleTimeout() idle timeout} (15 minutes without a call) or its maximum
 * lifetime; calls after that fail with {@code SESSION_LOST} too. Calling a session after
 * {@link #close()} is misuse, and throws {@link IllegalStateException}.
 *
 * <p>Thread-safe. Calls of a strict session made at the same time run one after the other on its
 * worker, in the order they reach it. Strict calls are never retried on another worker, whatever
 * {@link Call#retries()} says.
 */
public final class Session implements AutoCloseable {
  private final Sessions sessions;
  private final OpenSession session;

  Session(Sessions sessions, OpenSession session) {
    this.sessions = sessions;
    this.session = session;
  }

  /** The session's id, 32 hex digits; tools see it as {@code current_session().id}. */
  public String id() {
    return session.id();
  }

  /** The worker holding the session now, such as {@code w2}; null for a hint session whose worker is gone. */
  public String workerId() {
    return session.workerId();
  }

  public SessionOptions options() {
    return session.options();
  }

  /** Whether the session is open: not closed, expired or lost. */
  public boolean isOpen() {
    return session.isOpen();
  }

  /** Calls {@code tool} in this session with keyword arguments and waits for its result; see {@link Snakepit#execute(String, Map)}. */
  public Object execute(String tool, Map<String, ?> kwargs) {
    return execute(Snakepit.call("Session", "execute", tool, kwargs));
  }

  /** Runs a call in this session and waits for its result. */
  public Object execute(Call call) {
    return sessions.execute(session, Objects.requireNonNull(call, "Session.execute: call must not be null"), CallRunner.VALUE);
  }

  /** Runs a call in this session and waits for its result, with the worker that ran it and its times. */
  public CallResult executeDetailed(Call call) {
    return sessions.execute(session, Objects.requireNonNull(call, "Session.executeDetailed: call must not be null"),
        CallRunner.DETAILED);
  }

  /** Calls {@code tool} in this session without blocking; see {@link Snakepit#executeAsync(String, Map)}. */
  public CompletableFuture<Object> executeAsync(String tool, Map<String, ?> kwargs) {
    return executeAsync(Snakepit.call("Session", "executeAsync", tool, kwargs));
  }

  /** Runs a call in this session without blocking; cancelling the future cancels the call. */
  public CompletableFuture<Object> executeAsync(Call call) {
    return sessions.executeAsync(session, Objects.requireNonNull(call, "Session.executeAsync: call must not be null"),
        CallRunner.VALUE);
  }

  /**
   * Runs a call in this session and returns its result as a stream of items; see
   * {@link Snakepit#stream(Call)}. The session counts as in use until the stream's call has ended.
   */
  public CallStream stream(Call call) {
    return stream(call, StreamOptions.defaults());
  }

  /** Runs a call in this session and returns its result as a stream of items read with {@code options}. */
  public CallStream stream(Call call, StreamOptions options) {
    Objects.requireNonNull(call, "Session.stream: call must not be null");
    Objects.requireNonNull(options, "Session.stream: options must not be null");
    return new CallStream(sessions.stream(session, call, options));
  }

  /** A call of this session's stream of items as a {@link Flow.Publisher}; see {@link Snakepit#publisher}. */
  public Flow.Publisher<Object> publisher(Call call, StreamOptions options) {
    Objects.requireNonNull(call, "Session.publisher: call must not be null");
    Objects.requireNonNull(options, "Session.publisher: options must not be null");
    return new StreamPublisher(() -> sessions.stream(session, call, options));
  }

  /**
   * Closes the session: its worker runs {@code close_session(session, "closed")} after the session's
   * calls that reached it first, and this returns once it has. Closing a session that is closed, expired
   * or lost does nothing.
   *
   * @throws SnakepitException when {@code close_session} raised ({@link ErrorKind#PYTHON_EXCEPTION}) or
   *     did not finish within the call timeout; the session is closed all the same
   */
  @Override
  public void close() {
    sessions.close(session);
  }

  @Override
  public String toString() {
    return session.toString();
  }
}
