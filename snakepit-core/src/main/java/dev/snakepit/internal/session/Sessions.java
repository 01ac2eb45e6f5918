package dev.snakepit.internal.session;

import dev.snakepit.Call;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.SessionOptions;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamOptions;
import dev.snakepit.internal.CallRunner;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.ItemStream;
import dev.snakepit.internal.Request;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.dispatch.SessionPlacement;
import dev.snakepit.internal.dispatch.Target;
import dev.snakepit.internal.dispatch.WorkerSlot;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.Messages;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's open sessions (docs/protocol.md, section 4.12): opens each on the worker that holds the
 * fewest, routes its calls there, closes it when its owner, its idle timeout, its maximum lifetime or
 * the pool says so, and writes it off when its worker stops serving. Expiry and leak checks run on the
 * pool's control-loop executor, on the pool's {@link Ticker}, one pending check per session.
 */
public final class Sessions {
  private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String OPEN_HOOK = "open_session";
  private static final String CLOSE_HOOK = "close_session";

  private final PoolConfig config;
  private final String pool;
  private final CallRunner runner;
  private final SessionPlacement placement;
  private final Events events;
  private final ScheduledExecutorService timer;
  private final Ticker ticker;
  private final Map<String, OpenSession> open = new ConcurrentHashMap<>();
  private final BooleanSupplier movable;
  private final SessionMoves moves;

  /**
   * The sessions of a pool; {@code movable} says whether its adapter can move a session between workers
   * (snapshot_session and restore_session), which a worker drained before it stops then does.
   */
  public Sessions(PoolConfig config, CallRunner runner, Dispatcher dispatcher, Events events, ScheduledExecutorService timer,
      Ticker ticker, BooleanSupplier movable) {
    this.config = config;
    this.pool = config.name();
    this.runner = runner;
    this.placement = dispatcher.sessions();
    this.events = events;
    this.timer = timer;
    this.ticker = ticker;
    this.movable = movable;
    this.moves = new SessionMoves(config, runner, placement, this, ticker);
    placement.onEnded(this::workerEnded, this::workerDraining);
  }

  /**
   * Opens a session on the serving worker that holds the fewest, and waits until its
   * {@code open_session} has run there.
   */
  public OpenSession open(SessionOptions options) {
    WorkerSlot slot = placement.reserve();
    if (slot == null) {
      throw SnakepitException.builder(ErrorKind.RESOURCE_EXHAUSTED, "cannot open a session in pool '" + pool
          + "': no serving worker has room for one (maxSessionsPerWorker " + config.maxSessionsPerWorker() + ") ["
          + placement.describe() + "]").pool(pool).build();
    }
    String id = HexFormat.of().formatHex(randomId());
    long now = ticker.nanoTime();
    Throwable opener = config.sessionLeakThreshold().isZero() ? null : new Throwable("session " + id + " was opened here");
    OpenSession session = new OpenSession(id, options, slot, now, opener);
    try {
      runner.execute(new Request(FrameKind.SESSION_OPEN, OPEN_HOOK, Messages.sessionOpen(id, config.callTimeout().toMillis()),
          config.callTimeout(), 0, Target.only(id, slot)), CallRunner.VALUE);
    } catch (SnakepitException e) {
      if (e.kind() == ErrorKind.TIMEOUT || e.kind() == ErrorKind.CANCELLED) {
        closeQuietly(id, slot, "closed"); // open_session may yet finish on the worker
      } else {
        placement.left(slot, null);
      }
      throw e;
    }
    events.sessionOpen(id, slot.id(), now);
    open.put(id, session);
    if (!placement.serves(slot)) {
      workerEnded(slot, "stopped serving"); // it ended while the session opened, before it was registered
    }
    check(session);
    return session;
  }

  /** Runs a call of the session and waits for its result. */
  public <T> T execute(OpenSession session, Call call, CallRunner.Answer<T> answer) {
    WorkerSlot slot = begin(session, call);
    try {
      return runner.execute(request(session, call, slot), follow(session, answer));
    } catch (SnakepitException e) {
      throw failure(session, slot, e);
    } finally {
      session.end(ticker.nanoTime());
    }
  }

  /** Runs a call of the session without blocking; cancelling the future cancels the call. */
  public <T> CompletableFuture<T> executeAsync(OpenSession session, Call call, CallRunner.Answer<T> answer) {
    WorkerSlot slot = begin(session, call);
    CompletableFuture<T> inner;
    try {
      inner = runner.executeAsync(request(session, call, slot), follow(session, answer));
    } catch (RuntimeException e) {
      session.end(ticker.nanoTime());
      throw e;
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    inner.whenComplete((value, error) -> {
      session.end(ticker.nanoTime());
      if (error == null) {
        result.complete(value);
      } else {
        result.completeExceptionally(error instanceof SnakepitException e ? failure(session, slot, e) : error);
      }
    });
    result.whenComplete((value, error) -> {
      if (result.isCancelled()) {
        inner.cancel(true);
      }
    });
    return result;
  }

  /**
   * Starts a streamed call of the session (never retried); the session counts it as running until the
   * call is answered, and a strict session's lost worker ends it with SESSION_LOST.
   */
  public ItemStream stream(OpenSession session, Call call, StreamOptions options) {
    WorkerSlot slot = begin(session, call);
    ItemStream stream;
    try {
      stream = runner.stream(request(session, call, slot), options, e -> failure(session, slot, e));
    } catch (RuntimeException e) {
      session.end(ticker.nanoTime());
      throw e;
    }
    CallRunner.Answer<Object> moved = follow(session, CallRunner.VALUE);
    stream.done().whenComplete((value, error) -> {
      session.end(ticker.nanoTime());
      if (error == null) {
        moved.of(stream.call(), value, 1);
      }
    });
    return stream;
  }

  /**
   * The owner closes the session: its worker runs {@code close_session} (reason {@code closed}), and this
   * returns once it has. Closing a session that has ended already does nothing.
   *
   * @throws SnakepitException when {@code close_session} raised or did not finish in time; the session
   *     is closed all the same
   */
  public void close(OpenSession session) {
    OpenSession.Held held = session.finish(OpenSession.Status.CLOSED, "closed");
    if (held == null) {
      return;
    }
    open.remove(session.id);
    WorkerSlot slot = held.slot();
    events.sessionClose(session.id, slot == null ? null : slot.id(), session.openedNanos, "closed");
    if (slot == null) {
      return;
    }
    // The worker counts the session until close_session has run: a drained worker stops only then.
    try {
      runner.execute(closeRequest(session.id, slot, "closed"), CallRunner.VALUE);
    } catch (SnakepitException e) {
      if (e.kind() != ErrorKind.SESSION_LOST && e.kind() != ErrorKind.POOL_CLOSED) {
        throw e;
      }
    } finally {
      placement.left(slot, null);
    }
  }

  /** The pool is closing: every open session closes with it; the workers run {@code close_session} at their shutdown. */
  public void poolClosing() {
    for (OpenSession session : open.values()) {
      OpenSession.Held held = session.finish(OpenSession.Status.CLOSED, "pool_closed");
      if (held != null) {
        open.remove(session.id);
        events.sessionClose(session.id, held.slot() == null ? null : held.slot().id(), session.openedNanos, "pool_closed");
      }
    }
  }

  /** The pool's workers stop for good, the pool serving on elsewhere ({@code why}): every open session is lost. */
  public void loseAll(String why) {
    for (OpenSession session : open.values()) {
      loseSession(session, session.slot(), why);
    }
  }

  private byte[] randomId() {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return id;
  }

  /** Starts a call of the session; throws what a call of a session that is no longer open meets. */
  private WorkerSlot begin(OpenSession session, Call call) {
    if (!session.begin(ticker.nanoTime())) {
      if ("pool_closed".equals(session.ending())) {
        throw SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' is closed; tool '" + call.tool()
            + "' of session " + session.id + " was not called").pool(pool).tool(call.tool()).build();
      }
      if ("closed".equals(session.ending())) {
        throw new IllegalStateException("Session.execute: session " + session.id + " of pool '" + pool
            + "' is closed; tool '" + call.tool() + "' was not called");
      }
      throw lost(session, call.tool(), session.ending(), null);
    }
    return session.slot();
  }

  private Request request(OpenSession session, Call call, WorkerSlot slot) {
    Duration timeout = call.timeout() != null ? call.timeout() : config.callTimeout();
    boolean strict = session.strict();
    Map<String, Object> body = Messages.sessionCall(call.tool(), call.args(), call.kwargs(), timeout.toMillis(), session.id, !strict);
    // A strict session's state is on one worker: sending the call elsewhere would run it without it.
    return new Request(FrameKind.CALL, call.tool(), body, timeout, strict ? 0 : call.retries(),
        strict ? Target.only(session.id, slot) : Target.preferring(session.id, slot));
  }

  /** For a hint session, the answer also moves the session to the worker that ran the call. */
  private <T> CallRunner.Answer<T> follow(OpenSession session, CallRunner.Answer<T> answer) {
    if (session.strict()) {
      return answer;
    }
    return (answered, value, attempts) -> {
      OpenSession.Held before = session.movedTo(answered.answeredBy());
      if (before != null) {
        placement.left(null, answered.answeredBy());
        if (before.slot() != null) {
          closeQuietly(session.id, before.slot(), "moved");
        }
      }
      return answer.of(answered, value, attempts);
    };
  }

  /** What a failed call of the session throws: for a strict session whose worker died, SESSION_LOST. */
  private SnakepitException failure(OpenSession session, WorkerSlot slot, SnakepitException e) {
    if (!session.strict()) {
      return e;
    }
    if (e.kind() == ErrorKind.WORKER_CRASHED) {
      String why = "its worker " + slot.id() + " died during the call of tool '" + e.tool().orElse("?") + "'";
      loseSession(session, slot, why);
      return lost(session, e.tool().orElse(null), why + ": " + e.getMessage(), e);
    }
    if (e.kind() == ErrorKind.SESSION_LOST) {
      loseSession(session, slot, e.getMessage());
    }
    return e;
  }

  private SnakepitException lost(OpenSession session, String tool, String why, SnakepitException cause) {
    return SnakepitException.builder(ErrorKind.SESSION_LOST, "session " + session.id + " of pool '" + pool + "' is lost: "
        + why + (tool == null ? "" : "; tool '" + tool + "'") + " (open a new session to go on)")
        .pool(pool).tool(tool).cause(cause).build();
  }

  /** A worker that held sessions stopped serving ({@code why}): its strict sessions are lost, its hint sessions move on their next call. */
  private void workerEnded(WorkerSlot slot, String why) {
    for (OpenSession session : open.values()) {
      if (session.strict()) {
        if (slot == session.slot()) {
          loseSession(session, slot, "its worker " + slot.id() + " " + why);
        }
      } else if (session.unpin(slot)) {
        LOG.debug("pool '{}': hint session {} left worker {}, which {}; its next call opens it on another", pool, session.id,
            slot.id(), why);
      }
    }
  }

  /**
   * A worker is drained before it stops: its hint sessions leave it now, to open elsewhere on their next
   * call; its strict sessions move to other workers if the adapter can move them.
   */
  private void workerDraining(WorkerSlot slot) {
    boolean move = movable.getAsBoolean();
    for (OpenSession session : open.values()) {
      if (!session.strict() && session.unpin(slot)) {
        closeQuietly(session.id, slot, "drained");
      } else if (move && session.strict() && session.slot() == slot) {
        moves.start(session, slot);
      }
    }
  }

  /**
   * Ends {@code session} as lost ({@code why}), if it is open; {@code slot}, its worker, may be null
   * for a hint session without one.
   */
  void loseSession(OpenSession session, WorkerSlot slot, String why) {
    if (session.finish(OpenSession.Status.LOST, why) != null) {
      open.remove(session.id);
      placement.left(slot, null);
      LOG.info("pool '{}': session {} is lost: {}", pool, session.id, why);
      events.sessionLost(session.id, slot == null ? null : slot.id(), session.openedNanos, why);
    }
  }

  /**
   * Checks whether the session has reached its idle timeout or maximum lifetime, or is due a leak
   * warning, and schedules the next check.
   */
  private void check(OpenSession session) {
    if (!session.isOpen()) {
      return;
    }
    long now = ticker.nanoTime();
    SessionOptions options = session.options;
    long idleFor = now - session.lastUsedNanos();
    boolean idle = session.idle();
    long lifetime = options.maxLifetime().toNanos();
    if (lifetime > 0 && now - session.openedNanos >= lifetime) {
      expire(session, "lifetime", "it reached its maximum lifetime of " + options.maxLifetime());
      return;
    }
    long idleTimeout = options.idleTimeout().toNanos();
    if (idle && idleFor >= idleTimeout) {
      expire(session, "idle", "it had no call for " + options.idleTimeout() + " (its idle timeout)");
      return;
    }
    long leak = config.sessionLeakThreshold().toNanos();
    if (leak > 0 && idle && idleFor >= leak && session.reportLeak()) {
      LOG.warn("pool '{}': session {} has had no call for {} ms and is still open; close it when done "
          + "(sessionLeakThreshold {}; its idle timeout closes it after {})", pool, session.id,
          Duration.ofNanos(idleFor).toMillis(), config.sessionLeakThreshold(), options.idleTimeout(), session.opener);
    }
    long next = (idle ? idleTimeout - idleFor : idleTimeout);
    if (lifetime > 0) {
      next = Math.min(next, session.openedNanos + lifetime - now);
    }
    if (leak > 0 && idle && idleFor < leak) {
      next = Math.min(next, leak - idleFor);
    } else if (leak > 0 && !idle) {
      next = Math.min(next, leak);
    }
    try {
      timer.schedule(() -> check(session), Math.max(1, next), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The pool has stopped its loop; its close ends the session.
    }
  }

  private void expire(OpenSession session, String reason, String why) {
    OpenSession.Held held = session.finish(OpenSession.Status.CLOSED, "expired: " + why);
    if (held == null) {
      return;
    }
    open.remove(session.id);
    WorkerSlot slot = held.slot();
    LOG.info("pool '{}': session {} closed: {}", pool, session.id, why);
    events.sessionClose(session.id, slot == null ? null : slot.id(), session.openedNanos, reason);
    if (slot != null) {
      closeQuietly(session.id, slot, reason);
    }
  }

  /**
   * Sends SESSION_CLOSE without waiting for it; a failure is logged. The worker counts the session until
   * the close has been answered, so that a drained worker stops only after it.
   */
  private void closeQuietly(String session, WorkerSlot slot, String reason) {
    runner.executeAsync(closeRequest(session, slot, reason), CallRunner.VALUE).whenComplete((value, error) -> {
      placement.left(slot, null);
      if (error instanceof SnakepitException e && e.kind() != ErrorKind.SESSION_LOST && e.kind() != ErrorKind.POOL_CLOSED) {
        LOG.warn("pool '{}': close_session of session {} on worker {} (reason {}) failed: {}", pool, session, slot.id(), reason,
            e.getMessage());
      }
    });
  }

  private Request closeRequest(String session, WorkerSlot slot, String reason) {
    return new Request(FrameKind.SESSION_CLOSE, CLOSE_HOOK, Messages.sessionClose(session, reason, config.callTimeout().toMillis()),
        config.callTimeout(), 0, Target.only(session, slot));
  }
}
