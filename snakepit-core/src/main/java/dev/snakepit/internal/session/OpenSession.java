package dev.snakepit.internal.session;

import dev.snakepit.SessionOptions;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.dispatch.WorkerSlot;
import java.util.concurrent.TimeUnit;

/**
 * One session as the pool keeps it: which worker holds its state, whether it is still open, and how
 * recently it was used. Its methods are synchronized: a session's calls, its owner's close, its expiry
 * on the control loop and the death of its worker may all meet here.
 */
public final class OpenSession {
  /** Whether a session may still be called. */
  enum Status {
    OPEN,
    /** Closed by its owner, its idle timeout, its maximum lifetime or the pool; {@link #ending} says which. */
    CLOSED,
    /** Its worker died or stopped serving, and its state with it. */
    LOST
  }

  final String id;
  final SessionOptions options;
  final long openedNanos;
  /** Where the session was opened, for a leak warning; null when leaks are not watched. */
  final Throwable opener;

  private WorkerSlot slot;
  private Status status = Status.OPEN;
  /** Why the session ended: the reason its close gave, or what its SESSION_LOST error says. */
  private String ending;
  private int running;
  private long lastUsedNanos;
  private boolean leakReported;
  /** Set while the session moves to another worker: calls wait in {@link #begin} until it has. */
  private boolean moving;

  OpenSession(String id, SessionOptions options, WorkerSlot slot, long openedNanos, Throwable opener) {
    this.id = id;
    this.options = options;
    this.slot = slot;
    this.openedNanos = openedNanos;
    this.lastUsedNanos = openedNanos;
    this.opener = opener;
  }

  public String id() {
    return id;
  }

  public SessionOptions options() {
    return options;
  }

  /** The worker holding the session's state; null for a hint session whose worker is gone. */
  public synchronized String workerId() {
    return slot == null ? null : slot.id();
  }

  public synchronized boolean isOpen() {
    return status == Status.OPEN;
  }

  synchronized WorkerSlot slot() {
    return slot;
  }

  synchronized Status status() {
    return status;
  }

  synchronized String ending() {
    return ending;
  }

  boolean strict() {
    return options.affinity() == SessionOptions.Affinity.STRICT;
  }

  /** A call of the session starts now, once a move under way has ended; false if the session is not open. */
  synchronized boolean begin(long nowNanos) {
    boolean interrupted = false;
    while (moving) {
      try {
        wait(); // a move ends in finishMove, always: two calls of the pool, each within its timeout
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt(); // the call then fails as an interrupted call does
    }
    if (status != Status.OPEN) {
      return false;
    }
    running++;
    lastUsedNanos = nowNanos;
    leakReported = false;
    return true;
  }

  /** A call of the session ended now. */
  synchronized void end(long nowNanos) {
    running--;
    notifyAll(); // a move may wait for the last call to end
    lastUsedNanos = nowNanos;
  }

  /** The worker that held a session at a change: null when it held none. */
  record Held(WorkerSlot slot) {}

  /**
   * The session ends, {@code how} and {@code why}; returns the worker that held it, or null if the
   * session had ended already.
   */
  synchronized Held finish(Status how, String why) {
    if (status != Status.OPEN) {
      return null;
    }
    status = how;
    ending = why;
    Held held = new Held(slot);
    slot = null;
    return held;
  }

  /**
   * A call of a hint session ran on {@code answered}, which now holds the session. Returns the worker
   * that held it before, which should drop its copy, or null if nothing changed.
   */
  synchronized Held movedTo(WorkerSlot answered) {
    if (status != Status.OPEN || answered == null || answered == slot) {
      return null;
    }
    Held before = new Held(slot);
    slot = answered;
    return before;
  }

  /**
   * Starts moving the session: no call of it begins until {@link #finishMove}. Waits at most
   * {@code nanos} (on {@code ticker}) for the calls running to end; false, with nothing changed, when
   * the session is not open, or calls still run.
   */
  synchronized boolean startMove(long nanos, Ticker ticker) throws InterruptedException {
    if (status != Status.OPEN || moving) {
      return false;
    }
    moving = true;
    long end = ticker.nanoTime() + nanos;
    while (running > 0) {
      long left = end - ticker.nanoTime();
      if (left <= 0) {
        moving = false;
        notifyAll();
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** The moving session's state is now on {@code to}; false, with nothing changed, when it ended meanwhile. */
  synchronized boolean moveTo(WorkerSlot to) {
    if (status != Status.OPEN) {
      return false;
    }
    slot = to;
    return true;
  }

  /** The move has ended, done or not: calls of the session go on, to its worker now. */
  synchronized void finishMove() {
    moving = false;
    notifyAll();
  }

  /** The worker of a hint session stopped serving: the next call opens the session on another. */
  synchronized boolean unpin(WorkerSlot gone) {
    if (status != Status.OPEN || slot != gone) {
      return false;
    }
    slot = null;
    return true;
  }

  /** When a call of the session last started or ended, in Ticker terms. */
  synchronized long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** Whether no call of the session runs now. */
  synchronized boolean idle() {
    return running == 0;
  }

  /** True once per idle stretch: the leak warning is due. */
  synchronized boolean reportLeak() {
    if (leakReported || running > 0) {
      return false;
    }
    leakReported = true;
    return true;
  }

  @Override
  public synchronized String toString() {
    return "session " + id + " (" + options.affinity() + ", " + status + (slot == null ? "" : ", on " + slot.id()) + ")";
  }
}
