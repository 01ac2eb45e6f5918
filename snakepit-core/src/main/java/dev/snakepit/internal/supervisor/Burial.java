package dev.snakepit.internal.supervisor;

import dev.snakepit.PoolConfig;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.process.ExitStatus;
import dev.snakepit.internal.process.WorkerLimits;
import dev.snakepit.spi.WorkerEvent;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens once a worker is dead and its output has drained: its exit is told apart (stopped or
 * killed by the pool, out of memory, or a crash of its own), it leaves the worker table, its call
 * fails with that exit, its death is reported, and the pool's size is reconciled or its first start
 * fails. Confined to the control loop.
 */
final class Burial {
  private static final Logger LOG = LoggerFactory.getLogger(Burial.class);
  /**
   * How long a burial waits for the dead worker's last replies to be read. The socket ends with the
   * process, so this is microseconds, unless a child it left holds the socket until its keeper kills it.
   */
  private static final Duration LAST_REPLIES = Duration.ofMillis(200);

  private final PoolConfig config;
  private final String pool;
  private final PoolLifecycle lifecycle;
  private final WorkerTable workers;
  private final Recycler recycler;
  private final Reconciler size;
  private final Dispatcher dispatcher;
  private final WorkerLimits limits;
  private final Events events;
  private final Counters counters;
  private final Ticker ticker;

  Burial(PoolConfig config, PoolLifecycle lifecycle, WorkerTable workers, Recycler recycler, Reconciler size,
      Dispatcher dispatcher, WorkerLimits limits, Events events, Counters counters, Ticker ticker) {
    this.config = config;
    this.pool = config.name();
    this.lifecycle = lifecycle;
    this.workers = workers;
    this.recycler = recycler;
    this.size = size;
    this.dispatcher = dispatcher;
    this.limits = limits;
    this.events = events;
    this.counters = counters;
    this.ticker = ticker;
  }

  /** Buries a worker whose process has exited; a worker already buried is left alone. */
  void bury(Worker worker) {
    if (worker.state() == WorkerState.DEAD) {
      return;
    }
    WorkerExit exit = exitOf(worker);
    limits.release(worker.id);
    worker.moveTo(WorkerState.DEAD);
    workers.remove(worker);
    worker.process().forget();
    recycler.buried(worker);
    awaitLastReplies(worker);
    worker.process().closeChannels();
    boolean intended = worker.stopReason != null && worker.failure == null;
    if (worker.slot != null) {
      dispatcher.gone(worker.slot, tool -> Failures.callLost(pool, worker, exit, tool));
    }
    report(worker, exit, intended);
    worker.exit.complete(exit);
    if (lifecycle.firstStartPending() && !worker.wasReady) {
      lifecycle.failStart(Failures.startFailed(pool, config.adapter(), worker, exit));
      return;
    }
    if (lifecycle.open() && worker.stopReason == null) {
      if (!worker.wasReady) {
        LOG.warn("{}", Failures.startFailed(pool, config.adapter(), worker, exit).getMessage());
      }
      size.died(!worker.wasReady);
    }
  }

  /**
   * Lets the thread reading a dead worker's socket read what the worker wrote before it died, up to the
   * connection's end, before the channels close: a reply sent just before the death answers its call.
   */
  private void awaitLastReplies(Worker worker) {
    if (worker.slot == null) {
      return;
    }
    try {
      dispatcher.awaitLastReplies(worker.slot, LAST_REPLIES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The worker's exit as the keeper reported it, with what the pool knows of why it ended. */
  private WorkerExit exitOf(Worker worker) {
    WorkerExit observed = ExitStatus.of(worker.pid(), worker.process().exited().join(), worker.process().stderrTail());
    WorkerExit.Cause cause = worker.failure != null ? WorkerExit.Cause.KILLED_BY_POOL
        : worker.stopReason != null ? WorkerExit.Cause.STOPPED_BY_POOL
        : "SIGKILL".equals(observed.signal()) && limits.oomKilled(worker.id) ? WorkerExit.Cause.OUT_OF_MEMORY
        : observed.cause();
    return new WorkerExit(observed.pid(), observed.exitCode(), observed.signal(), observed.stderrTail(), cause,
        cause == WorkerExit.Cause.KILLED_BY_POOL || cause == WorkerExit.Cause.STOPPED_BY_POOL ? worker.poolReason : null);
  }

  /** A stop event for a worker the pool meant to end; a crash event, counted and logged, for any other. */
  private void report(Worker worker, WorkerExit exit, boolean intended) {
    String endedBy = worker.process().endedBy();
    String reason = worker.failure != null ? worker.failure : intended ? worker.stopReason
        : "died: " + (endedBy != null ? endedBy : exit.describe());
    WorkerEvent event = new WorkerEvent(pool, worker.id, worker.pid(), worker.uptime(), reason, exit);
    if (intended) {
      events.workerStop(event);
      return;
    }
    long now = ticker.nanoTime();
    counters.crashed(now);
    size.crashed(now);
    events.workerCrash(event);
    if (lifecycle.running()) {
      LOG.warn("{} of pool '{}' {} ({}){}", worker, pool, worker.failure != null ? "was killed: " + worker.failure : "died",
          exit.describe(), exit.stderrTail().isEmpty() ? "" : "; stderr tail:\n" + exit.stderrTail());
    }
  }
}
