package dev.snakepit.internal.supervisor;

import dev.snakepit.PoolConfig;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.dispatch.Dispatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the number of workers at the pool's target, level-triggered: {@link #reconcile} compares the
 * workers that count toward the size with the target and acts on the difference, so it may run any
 * number of times, after a start, a death, a failed spawn or a resize, and whenever a hold ends. Starts
 * wait for the restart backoff and the crash-loop circuit; the surplus is stopped in
 * {@link #shrinkOrder}. Confined to the control loop; the target and the crash-loop flag are volatile
 * so that stats may read them.
 */
final class Reconciler {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  /** How the supervisor starts a worker: null when it could not be started (a failed spawn sets a hold first). */
  interface Launcher {
    Worker launch(boolean replacement);
  }

  private final PoolConfig config;
  private final Collection<Worker> workers;
  private final Recycler recycler;
  private final Dispatcher dispatcher;
  private final WorkerEndings endings;
  private final ControlLoop loop;
  private final Ticker ticker;
  private final Launcher launcher;
  /** Whether the pool is starting or running, so that its size is kept. */
  private final BooleanSupplier open;
  private final RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(100), Duration.ofSeconds(10));
  private final CrashLoop crashLoop;
  /** How many workers the pool keeps: the configured size until {@link #resize}. */
  private volatile int target;
  /** Whether replacements are held back because workers crash too often. */
  private volatile boolean crashLooping;
  /** Before when no worker may be started ({@link Ticker} terms): the restart backoff's gate. */
  private long startsAllowedNanos;
  /** Workers that died and are not yet replaced, so that their successors count as replacements. */
  private int unreplaced;
  /** The reason a surplus worker is stopped with: the last resize. */
  private String shrinkReason = "pool resized";

  /** A reconciler over {@code workers}, the live view of the supervisor's table. */
  Reconciler(PoolConfig config, Collection<Worker> workers, Recycler recycler, Dispatcher dispatcher, WorkerEndings endings,
      ControlLoop loop, Ticker ticker, Launcher launcher, BooleanSupplier open) {
    this.config = config;
    this.workers = workers;
    this.recycler = recycler;
    this.dispatcher = dispatcher;
    this.endings = endings;
    this.loop = loop;
    this.ticker = ticker;
    this.launcher = launcher;
    this.open = open;
    this.crashLoop = new CrashLoop(config.crashLoopLimit(), config.crashLoopWindow());
    this.target = config.size();
    // Ticker values have an arbitrary origin and may be negative: starts are allowed from now, not from 0.
    this.startsAllowedNanos = ticker.nanoTime();
  }

  /** How many workers the pool keeps. */
  int target() {
    return target;
  }

  /** Whether workers crash so often that replacements are held back. */
  boolean crashLooping() {
    return crashLooping;
  }

  /** What the crash-loop circuit says, for health reports. */
  String crashLoopDescription() {
    return "pool '" + config.name() + "' is crash-looping: " + config.crashLoopLimit() + " or more workers crashed within "
        + config.crashLoopWindow().toSeconds() + " s; it starts at most " + config.crashLoopLimit()
        + " replacements per " + config.crashLoopWindow().toSeconds() + " s until its workers stay up";
  }

  /** Sets a new target and reconciles; returns the old target. */
  int resize(int size) {
    int from = target;
    target = size;
    shrinkReason = "pool resized from " + from + " to " + size + " workers";
    reconcile();
    return from;
  }

  /** A worker crashed at {@code now}: the crash-loop circuit counts it. */
  void crashed(long now) {
    crashLoop.crashed(now);
  }

  /** A worker became ready: the next failed start waits from the initial delay again. */
  void workerReady() {
    backoff.reset();
  }

  /** A worker the pool did not stop died: it is replaced, after the backoff if it never became ready. */
  void died(boolean beforeReady) {
    unreplaced++;
    holdStarts(beforeReady);
    reconcile();
  }

  /** A worker could not be spawned: the next start waits as a failed start does. */
  void spawnFailed() {
    holdStarts(true);
  }

  /** Starts the missing workers, unless starts are held back (then runs again when they may), or stops the surplus. */
  void reconcile() {
    if (!open.getAsBoolean()) {
      return;
    }
    int missing = target - activeWorkers();
    unreplaced = Math.max(0, Math.min(unreplaced, missing));
    if (missing < 0) {
      int surplus = -missing;
      for (Worker worker : shrinkOrder()) {
        if (surplus-- <= 0) {
          break;
        }
        endings.stopAfterSessions(worker, shrinkReason, WorkerExit.PoolReason.RESIZE, () -> {});
      }
      return;
    }
    long now = ticker.nanoTime();
    long hold = Math.max(startsAllowedNanos - now, crashLoop.holdNanos(now));
    boolean looping = crashLoop.looping(now);
    if (looping && !crashLooping && missing > 0) {
      LOG.error("{}; the next replacement starts in {} ms", crashLoopDescription(), (hold + 999_999) / 1_000_000);
    }
    crashLooping = looping;
    if (missing > 0 && hold > 0) {
      loop.schedule(this::reconcile, Duration.ofNanos(hold));
      return;
    }
    for (int i = 0; i < missing && open.getAsBoolean(); i++) {
      boolean replacement = unreplaced > 0;
      if (launcher.launch(replacement) == null) {
        reconcile(); // the failed spawn set a hold: this schedules the next try
        return;
      }
      if (replacement) {
        unreplaced--;
      }
    }
  }

  /** A worker died or could not be spawned: the next start waits as the restart backoff says (none if it had served). */
  private void holdStarts(boolean failedToStart) {
    long delay = backoff.next(failedToStart);
    if (delay > 0) {
      LOG.info("pool '{}' replaces a worker in {} ms after {} failed start(s) in a row", config.name(), delay,
          backoff.failures());
    }
    startsAllowedNanos = ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
  }

  /** Workers that count toward the pool's size: starting or ready, and not being replaced by a recycle. */
  private int activeWorkers() {
    int active = 0;
    for (Worker w : workers) {
      WorkerState s = w.state();
      if ((s == WorkerState.STARTING || s == WorkerState.READY) && !recycler.replaced(w) && !w.draining) {
        active++;
      }
    }
    return active;
  }

  /**
   * The workers a shrink stops first: starting ones, then idle ones, then busy ones, and among the ready
   * ones those holding sessions last, since they are drained before they stop.
   */
  private List<Worker> shrinkOrder() {
    List<Worker> order = new ArrayList<>();
    for (Worker w : workers) {
      if (w.state() == WorkerState.STARTING && !recycler.replacing(w)) {
        order.add(w);
      }
    }
    for (boolean holding : new boolean[] {false, true}) {
      for (boolean busy : new boolean[] {false, true}) {
        for (Worker w : workers) {
          if (w.state() == WorkerState.READY && !recycler.replaced(w) && !w.draining && w.slot != null
              && dispatcher.running(w.slot) == busy && (dispatcher.sessions().held(w.slot) > 0) == holding) {
            order.add(w);
          }
        }
      }
    }
    return order;
  }
}
