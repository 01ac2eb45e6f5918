package dev.snakepit.internal;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolStats;
import dev.snakepit.Reload;
import dev.snakepit.ReloadOptions;
import dev.snakepit.SnakepitException;
import dev.snakepit.ToolInfo;
import dev.snakepit.WorkerInfo;
import dev.snakepit.spi.PoolListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generations of one pool's workers behind {@link dev.snakepit.Snakepit}: the one serving new calls,
 * and those that a {@linkplain #reload reload} replaced and that are finishing their calls and
 * sessions. The pool's counts add them all up, so that its counters never go down.
 */
public final class Generations {
  private static final Logger LOG = LoggerFactory.getLogger(Generations.class);

  private final String pool;
  private final Ticker ticker = Ticker.SYSTEM;
  private final long startedNanos = ticker.nanoTime();
  /** Written under this, with {@link #draining}; read without it by callers entering. */
  private volatile Generation current;
  /** Guarded by this. */
  private final List<Generation> draining = new ArrayList<>();
  /** The listeners added at run time, which every new generation gets too. */
  private final List<PoolListener> listeners = new CopyOnWriteArrayList<>();
  private final ReentrantLock reloading = new ReentrantLock();
  /** The counters of the generations that have stopped; guarded by this. */
  private PoolStats stopped;
  /** Guarded by this. */
  private boolean closed;

  /** The generations at one moment: the serving one, those draining, the counters of those stopped (or null). */
  private record View(Generation serving, List<Generation> draining, PoolStats stopped) {}

  private Generations(PoolCore first) {
    this.pool = first.config().name();
    this.current = new Generation(first, 1);
  }

  /** Starts a pool's first generation; see {@code Snakepit.start}. */
  public static Generations start(PoolConfig config) {
    return new Generations(PoolCore.start(config, 1, List.of()));
  }

  /** The generation serving new calls. */
  public PoolCore current() {
    return current.core();
  }

  /** The number of the generation serving new calls: 1 until the first reload. */
  public int generation() {
    return current.number();
  }

  /** Enters the generation serving, for a call, a stream or a session to open; the caller must {@link Generation#exit} it. */
  public Generation enter() {
    while (true) {
      Generation serving = current;
      if (serving.enter()) {
        return serving;
      }
      // Retired just now: the one that replaced it is current already.
    }
  }

  /** Exits {@code generation} once {@code future} completes, and returns {@code future}. */
  public static <T> CompletableFuture<T> exitWhenDone(Generation generation, CompletableFuture<T> future) {
    future.whenComplete((value, error) -> generation.exit());
    return future;
  }

  public void addListener(PoolListener listener) {
    listeners.add(listener);
    current().events().add(listener);
  }

  public boolean removeListener(PoolListener listener) {
    view().draining().forEach(g -> g.core().events().remove(listener));
    listeners.remove(listener);
    return current().events().remove(listener);
  }

  /** The pool's counts: the serving generation's, with the calls and workers of those draining, and every counter since start. */
  public PoolStats stats() {
    Generation serving = current;
    if (serving.number() == 1) {
      return serving.core().stats(); // never reloaded: nothing to add
    }
    // One view, so that a generation moving from serving to draining to stopped is counted once.
    View view = view();
    PoolStats total = view.serving().core().stats();
    for (Generation old : view.draining()) {
      total = PoolStatsSum.plus(total, old.core().stats(), true);
    }
    if (view.stopped() != null) {
      total = PoolStatsSum.plus(total, view.stopped(), false);
    }
    return PoolStatsSum.withUptime(total, Duration.ofNanos(ticker.nanoTime() - startedNanos));
  }

  /** Every worker of the pool, the draining generations' first, theirs reported as {@code DRAINING}. */
  public List<WorkerInfo> workers() {
    View view = view();
    List<WorkerInfo> all = new ArrayList<>();
    for (Generation old : view.draining()) {
      for (WorkerInfo w : old.core().workers()) {
        all.add(w.state() == WorkerInfo.State.READY ? new WorkerInfo(w.id(), w.pid(), WorkerInfo.State.DRAINING, w.uptime(),
            w.residentBytes(), w.callsAnswered(), w.heartbeatRoundTrip()) : w);
      }
    }
    all.addAll(view.serving().core().workers());
    return all;
  }

  public List<Long> workerPids() {
    View view = view();
    List<Long> all = new ArrayList<>();
    view.draining().forEach(g -> all.addAll(g.core().workerPids()));
    all.addAll(view.serving().core().workerPids());
    return all;
  }

  private synchronized View view() {
    return new View(current, List.copyOf(draining), stopped);
  }

  /**
   * Starts a new generation from {@code config}, gates it, makes it serve new calls and retires the one
   * serving; see {@code Snakepit.reload}. The retired generation drains on a thread of its own.
   */
  public Reload reload(PoolConfig config, ReloadOptions options) {
    if (!config.name().equals(pool)) {
      throw new IllegalArgumentException("Snakepit.reload: config.name = '" + config.name() + "' is invalid: it must be the"
          + " pool's own name, '" + pool + "'");
    }
    if (!reloading.tryLock()) {
      throw new IllegalStateException("Snakepit.reload: pool '" + pool + "' is being reloaded already; wait for that reload"
          + " to return");
    }
    try {
      Generation old = current;
      refuseIfClosed(old.number() + 1);
      long began = ticker.nanoTime();
      Generation next = new Generation(startGated(config, options, old), old.number() + 1);
      synchronized (this) {
        if (closed) {
          next.core().close();
          refuseIfClosed(next.number());
        }
        draining.add(old);
        current = next;
      }
      old.retire();
      Duration startup = Duration.ofNanos(ticker.nanoTime() - began);
      LOG.info("pool '{}' serves generation {} ({} workers of {}, started and gated in {} ms); generation {} drains",
          pool, next.number(), config.size(), config.adapter(), startup.toMillis(), old.number());
      CompletableFuture<Void> oldStopped = new CompletableFuture<>();
      Thread.ofPlatform().daemon().name("snakepit-" + pool + "-drain-g" + old.number())
          .start(() -> drain(old, options.drainTimeout(), oldStopped));
      return new Reload(next.number(), old.number(), startup, oldStopped);
    } finally {
      reloading.unlock();
    }
  }

  /** Starts the new generation and checks it against the old one's tools, its health and the warm-up call. */
  private PoolCore startGated(PoolConfig config, ReloadOptions options, Generation old) {
    int number = old.number() + 1;
    PoolCore next;
    try {
      next = PoolCore.start(config, number, List.copyOf(listeners));
    } catch (SnakepitException e) {
      throw rolledBack(number, e.kind(), "it did not start: " + e.getMessage(), e);
    }
    try {
      Set<String> missing = new TreeSet<>();
      old.core().tools().stream().map(ToolInfo::name).forEach(missing::add);
      next.tools().stream().map(ToolInfo::name).forEach(missing::remove);
      missing.removeAll(options.missingToolsAllowed());
      if (!missing.isEmpty()) {
        throw rolledBack(number, ErrorKind.INVALID_REQUEST, "it lacks tools " + missing + " that generation " + old.number()
            + " has; allow that with ReloadOptions.withMissingToolsAllowed", null);
      }
      var health = next.health();
      if (!health.ready()) {
        throw rolledBack(number, ErrorKind.WORKER_CRASHED, "it is not ready: " + String.join("; ", health.reasons()), null);
      }
      if (options.warmUp() != null) {
        try {
          next.execute(options.warmUp());
        } catch (SnakepitException e) {
          throw rolledBack(number, e.kind(), "its warm-up call of tool '" + options.warmUp().tool() + "' failed: "
              + e.getMessage(), e);
        }
      }
      return next;
    } catch (RuntimeException e) {
      next.close();
      addStopped(next.stats());
      throw e;
    }
  }

  private SnakepitException rolledBack(int number, ErrorKind kind, String why, Throwable cause) {
    return SnakepitException.builder(kind, "reload of pool '" + pool + "' rolled back, generation " + (number - 1)
        + " serves on: generation " + number + " failed its gate, " + why).pool(pool).cause(cause).build();
  }

  private synchronized void refuseIfClosed(int number) {
    if (closed) {
      throw SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' is closed; generation " + number
          + " cannot start").pool(pool).build();
    }
  }

  /** Lets a retired generation finish its calls and sessions, for at most {@code timeout}, then stops it. */
  private void drain(Generation old, Duration timeout, CompletableFuture<Void> oldStopped) {
    long began = ticker.nanoTime();
    boolean drained = false;
    try {
      drained = old.awaitDrained(began + timeout.toNanos(), ticker);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (!drained) {
        LOG.warn("generation {} of pool '{}' is stopped with work left after its drain timeout of {} [{}]", old.number(), pool,
            timeout, old.core().stats().describe());
      }
      old.core().retire("its generation of workers, " + old.number() + ", was stopped when the drain timeout of a reload ("
          + timeout + ") ran out");
      synchronized (this) {
        draining.remove(old);
        addStopped(old.core().stats());
      }
      LOG.info("generation {} of pool '{}' stopped, {} ms after it was retired", old.number(), pool,
          Duration.ofNanos(ticker.nanoTime() - began).toMillis());
      oldStopped.complete(null);
    }
  }

  private synchronized void addStopped(PoolStats last) {
    stopped = stopped == null ? PoolStatsSum.countersOnly(last) : PoolStatsSum.plus(stopped, last, false);
  }

  /** Closes every generation; see {@code Snakepit.close}. */
  public void close() {
    List<Generation> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(draining);
      all.add(current);
    }
    // The serving generation first, so that new calls are refused at once; the drain threads see their
    // generations closed and end.
    for (int i = all.size() - 1; i >= 0; i--) {
      all.get(i).core().close();
      all.get(i).wake();
    }
  }
}
