package dev.snakepit.internal.supervisor;

import dev.snakepit.RecycleReason;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Ticker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces workers that are due for recycling, always drain-then-replace: the replacement starts
 * first, and only once it is ready does the old worker stop getting calls, finish the one it runs
 * (and, if it holds sessions, serve them until they close or the drain timeout passes), and stop. If the replacement fails to start, the old worker serves on and the next check tries again.
 *
 * <p>Confined to the pool's control loop, like the supervisor whose workers it pairs: each recycled
 * worker with the replacement starting in its place, and why it is recycled.
 */
final class Recycler {
  private static final Logger LOG = LoggerFactory.getLogger(Recycler.class);

  private final String pool;
  private final Duration stopBound;
  private final ControlLoop loop;
  private final Ticker ticker;
  private final Counters counters;
  private final WorkerEndings endings;
  /** Starts a worker; null when it could not be started. */
  private final Supplier<Worker> launch;
  /** Whether the pool is running, so that replacing workers makes sense. */
  private final BooleanSupplier running;
  /** The replacement starting for each worker being recycled. */
  private final Map<Worker, Worker> successors = new HashMap<>();
  /** The worker each starting replacement is to take over from. */
  private final Map<Worker, Worker> predecessors = new HashMap<>();
  /** Why each worker is recycled; kept after a failed replacement, for the next try. */
  private final Map<Worker, RecycleReason> reasons = new HashMap<>();

  /**
   * A recycler that kills a recycled worker still alive {@code stopBound} after it was asked to stop
   * (its longest call, its cancel grace, its shutdown grace).
   */
  Recycler(String pool, Duration stopBound, ControlLoop loop, Ticker ticker, Counters counters, WorkerEndings endings,
      Supplier<Worker> launch, BooleanSupplier running) {
    this.pool = pool;
    this.stopBound = stopBound;
    this.loop = loop;
    this.ticker = ticker;
    this.counters = counters;
    this.endings = endings;
    this.launch = launch;
    this.running = running;
  }

  /** Whether a replacement is starting in the worker's place; such a worker no longer counts toward the pool's size. */
  boolean replaced(Worker worker) {
    return successors.containsKey(worker);
  }

  /** Whether the worker is starting as another's replacement. */
  boolean replacing(Worker worker) {
    return predecessors.containsKey(worker);
  }

  /** Starts recycling a ready worker: its replacement starts now. Ignored for a worker not ready or already replaced. */
  void recycle(Worker worker, RecycleReason reason) {
    if (worker.state() != WorkerState.READY || replaced(worker) || worker.draining || !running.getAsBoolean()) {
      return;
    }
    reasons.put(worker, reason);
    Worker successor = launch.get();
    if (successor != null) {
      predecessors.put(successor, worker);
      successors.put(worker, successor);
      LOG.debug("{} of pool '{}' is recycled ({}); {} replaces it", worker, pool, reason.description(), successor);
    }
  }

  /** A worker became ready: if it replaces another, that one now gets no new call, finishes its call, and stops. */
  void ready(Worker worker) {
    Worker old = predecessors.remove(worker);
    if (old == null) {
      return;
    }
    successors.remove(old);
    RecycleReason reason = reasons.remove(old);
    if (old.state() != WorkerState.READY) {
      return;
    }
    counters.recycled(reason);
    endings.stopAfterSessions(old, "recycled (" + reason.description() + ")", WorkerExit.PoolReason.RECYCLE,
        () -> loop.schedule(() -> {
          if (old.state() != WorkerState.DEAD) {
            LOG.warn("{} of pool '{}' did not stop within {} ms of being recycled; killing it", old, pool, stopBound.toMillis());
            endings.kill(old);
          }
        }, stopBound));
  }

  /** A worker is dead: a replacement that died lets its predecessor serve on; a recycled one's replacement simply takes its place. */
  void buried(Worker worker) {
    Worker old = predecessors.remove(worker);
    if (old != null) {
      successors.remove(old); // the next check tries again, with the reason kept
    }
    Worker successor = successors.remove(worker);
    if (successor != null) {
      predecessors.remove(successor);
    }
    reasons.remove(worker);
  }

  /** Recycles the ready workers past their age or memory threshold, and retries recycles whose replacement failed. */
  void check(List<Worker> workers) {
    long now = ticker.nanoTime();
    for (Worker worker : workers) {
      if (worker.state() != WorkerState.READY || replaced(worker) || worker.draining) {
        continue;
      }
      RecycleReason reason = reasons.get(worker);
      if (reason == null) {
        reason = worker.recycling.dueByAgeOrMemory(now - worker.spawnedNanos, worker.process()::residentBytes);
      }
      if (reason != null) {
        recycle(worker, reason);
      }
    }
  }
}
