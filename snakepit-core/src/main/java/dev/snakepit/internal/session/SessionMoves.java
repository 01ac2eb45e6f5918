package dev.snakepit.internal.session;

import dev.snakepit.PoolConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.internal.CallRunner;
import dev.snakepit.internal.Request;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.dispatch.SessionPlacement;
import dev.snakepit.internal.dispatch.Target;
import dev.snakepit.internal.dispatch.WorkerSlot;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.Messages;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the strict sessions of a worker that is drained before it stops to other workers, when the
 * adapter defines {@code snapshot_session} and {@code restore_session} (docs/protocol.md, section 4.12),
 * so that recycling and shrinking lose no session.
 *
 * <p>Each move runs on a virtual thread of its own: it holds the session's new calls back, waits for
 * those running to end, reserves a place on the serving worker that holds the fewest sessions, takes
 * the snapshot on the old worker (which drops the session there without {@code close_session}), and
 * restores it on the new one. A session that cannot be snapshot, or has nowhere to go, stays on its
 * worker and drains as before; one whose snapshot cannot be restored is lost.
 */
final class SessionMoves {
  private static final Logger LOG = LoggerFactory.getLogger(SessionMoves.class);

  private final PoolConfig config;
  private final String pool;
  private final CallRunner runner;
  private final SessionPlacement placement;
  private final Sessions sessions;
  private final Ticker ticker;

  SessionMoves(PoolConfig config, CallRunner runner, SessionPlacement placement, Sessions sessions, Ticker ticker) {
    this.config = config;
    this.pool = config.name();
    this.runner = runner;
    this.placement = placement;
    this.sessions = sessions;
    this.ticker = ticker;
  }

  /** Starts moving {@code session} off {@code from}, which is being drained. */
  void start(OpenSession session, WorkerSlot from) {
    Thread.ofVirtual().name("snakepit-" + pool + "-session-move").start(() -> move(session, from));
  }

  private void move(OpenSession session, WorkerSlot from) {
    try {
      if (!session.startMove(config.sessionDrainTimeout().toNanos(), ticker)) {
        return; // closed, lost, or busy for the whole drain: it ends with its worker, as without a move
      }
    } catch (InterruptedException e) {
      return;
    }
    try {
      WorkerSlot to = placement.reserve();
      if (to == null) {
        LOG.warn("pool '{}': session {} cannot move off worker {}, which is to stop: no other worker has room [{}]", pool,
            session.id, from.id(), placement.describe());
        return;
      }
      byte[] snapshot;
      try {
        snapshot = (byte[]) runner.execute(request(FrameKind.SESSION_CLOSE, "snapshot_session",
            Messages.sessionSnapshot(session.id, config.callTimeout().toMillis()), session.id, from), CallRunner.VALUE);
      } catch (SnakepitException | ClassCastException e) {
        placement.left(to, null);
        LOG.warn("pool '{}': session {} stays on worker {} until it closes or the worker stops: its snapshot failed: {}", pool,
            session.id, from.id(), e.getMessage());
        return;
      }
      if (!session.moveTo(to)) {
        placement.left(to, null); // it ended meanwhile, and what ended it let go of the old worker
        return;
      }
      placement.left(from, null); // the snapshot took it out of the old worker, which may stop now

      try {
        runner.execute(request(FrameKind.SESSION_OPEN, "restore_session",
            Messages.sessionRestore(session.id, snapshot, config.callTimeout().toMillis()), session.id, to), CallRunner.VALUE);
      } catch (SnakepitException e) {
        sessions.loseSession(session, to, "its state, moved off worker " + from.id() + " (which is to stop), could not be"
            + " restored on worker " + to.id() + ": " + e.getMessage());
        return;
      }
      LOG.info("pool '{}': session {} moved from worker {}, which is to stop, to worker {} ({} bytes of state)", pool,
          session.id, from.id(), to.id(), snapshot.length);
    } finally {
      session.finishMove();
    }
  }

  private Request request(FrameKind kind, String hook, Map<String, Object> body, String session, WorkerSlot slot) {
    return new Request(kind, hook, body, config.callTimeout(), 0, Target.only(session, slot));
  }
}
