package dev.snakepit.internal.supervisor;

import dev.snakepit.PoolStats;
import dev.snakepit.SnakepitException;
import java.util.concurrent.CompletableFuture;

/**
 * The pool's state, STARTING, RUNNING, CLOSING then CLOSED, and the future of its first start, which
 * completes when the first {@code size} workers are ready or fails with the first start failure.
 * Changed on the control loop, except {@link #abandon}; the state is volatile so that any thread may
 * read it.
 */
final class PoolLifecycle {
  private volatile PoolStats.State state = PoolStats.State.STARTING;
  /** Loop only. */
  private CompletableFuture<Void> firstStart;
  /** Loop only. */
  private int readyAtStart;

  PoolStats.State state() {
    return state;
  }

  boolean running() {
    return state == PoolStats.State.RUNNING;
  }

  /** Whether the pool is starting or running, so that its size is kept. */
  boolean open() {
    return state == PoolStats.State.RUNNING || state == PoolStats.State.STARTING;
  }

  /** Whether the pool is closing or closed: a worker that becomes ready now is stopped at once. */
  boolean closing() {
    return state == PoolStats.State.CLOSING || state == PoolStats.State.CLOSED;
  }

  /** The first start begins; {@code started} completes as {@link #workerReady} and {@link #failStart} say. */
  void starting(CompletableFuture<Void> started) {
    firstStart = started;
  }

  /** Whether the first start is under way. */
  boolean firstStartPending() {
    return firstStart != null && !firstStart.isDone();
  }

  /** A worker became ready: during the first start, the pool runs once {@code target} have. */
  void workerReady(int target) {
    if (firstStartPending() && ++readyAtStart >= target) {
      state = PoolStats.State.RUNNING;
      firstStart.complete(null);
    }
  }

  /** The first start failed with {@code error}: the pool closes. Ignored once the first start is over. */
  void failStart(SnakepitException error) {
    if (firstStartPending()) {
      state = PoolStats.State.CLOSING;
      firstStart.completeExceptionally(error);
    }
  }

  /** The pool is closing: nothing is replaced from now on. */
  void close() {
    state = PoolStats.State.CLOSING;
  }

  /** Every worker is dead. */
  void closed() {
    state = PoolStats.State.CLOSED;
  }

  /** The JVM exits with the pool open: it counts as closing. Runs on the shutdown hook's thread. */
  void abandon() {
    if (state == PoolStats.State.STARTING || state == PoolStats.State.RUNNING) {
      state = PoolStats.State.CLOSING;
    }
  }
}
