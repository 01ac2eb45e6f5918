package dev.snakepit.chaos;

import dev.snakepit.Call;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolStats;
import dev.snakepit.RecycleReason;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.internal.process.ProcessTree;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * Applies {@link ChaosOp}s to a running pool and checks, afterwards, that the pool came through:
 *
 * <ul>
 *   <li>every call ended with a result or a {@link SnakepitException} within its bound (acquire timeout
 *       + call timeout + cancel grace + {@link #GRACE});
 *   <li>the pool is back at its target size, running, with a free worker;
 *   <li>no process that was ever one of its workers is alive unless it is one of its workers now, nor
 *       anything in such a worker's process group (what it started), nor its keeper;
 *   <li>every stream delivered its items in order and ended with its last item or a {@link SnakepitException};
 *   <li>its counters never decreased, and it counted exactly the successful calls this driver saw
 *       (give or take the steps whose success this driver cannot see: a session closed while its worker
 *       may have died, a stream closed early whose worker may have finished it first).
 * </ul>
 *
 * <pre>{@code
 * try (ChaosDriver driver = new ChaosDriver(pool, proxy, n -> Call.of("echo").withArg("value", "x".repeat(n)), seed)) {
 *   driver.run(ops);
 *   assertThat(driver.violations(Duration.ofSeconds(30))).isEmpty();
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one test thread drives it. Closing thaws every worker it froze and clears the proxy.
 */
public final class ChaosDriver implements AutoCloseable {
  /** Slack beyond a call's own timeouts: a stack dump, a kill and its report, on a busy machine. */
  public static final Duration GRACE = Duration.ofSeconds(5);

  private final Snakepit pool;
  private final DataPlaneProxy proxy;
  private final IntFunction<Call> calls;
  private final SplittableRandom random;
  private final ScheduledExecutorService thawer;
  private final List<Started> started = new ArrayList<>();
  private final SessionSteps sessions;
  private final Set<Long> seen = new LinkedHashSet<>();
  /** The keeper of each worker seen (its parent, the process the pool started), when it could be read. */
  private final Map<Long, Long> keepers = new HashMap<>();
  private final Set<Long> frozen = ConcurrentHashMap.newKeySet();
  private final List<String> violations = new ArrayList<>();
  private final long succeededBefore;
  private PoolStats last;
  private int target;
  private boolean awaited;

  /**
   * @param pool the pool to torment
   * @param proxy the pool's data-plane proxy, or {@code null} when it has none (proxy steps are then skipped)
   * @param calls the call to make for an {@link ChaosOp.Execute} with that payload size; it should
   *     succeed when nothing interferes
   * @param seed the seed of the victims' choice, so that a failing run can be repeated
   */
  public ChaosDriver(Snakepit pool, DataPlaneProxy proxy, IntFunction<Call> calls, long seed) {
    this(pool, proxy, calls, null, seed);
  }

  /**
   * A driver that also runs {@link ChaosOp.StreamItems} steps.
   *
   * @param streams the call of a stream of n items that yields 0, 1, ..., n - 1, such as the chaos
   *     adapter's {@code count}; {@code null} skips stream steps
   */
  public ChaosDriver(Snakepit pool, DataPlaneProxy proxy, IntFunction<Call> calls, IntFunction<Call> streams, long seed) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.proxy = proxy;
    this.calls = Objects.requireNonNull(calls, "calls");
    this.random = new SplittableRandom(seed);
    this.sessions = new SessionSteps(pool, random.split(), streams);
    this.thawer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("snakepit-chaos-thaw").factory());
    this.last = pool.stats();
    this.succeededBefore = last.callsSucceeded();
    this.target = last.targetSize();
    see(pool.workerPids());
  }

  /**
   * The outcome of one call: whether it returned a value, the value or its error ({@code null} both when
   * it had no answer within its bound, which is a violation), and how long it took against its bound.
   */
  public record Outcome(Call call, boolean succeeded, Object result, SnakepitException error, Duration elapsed, Duration bound) {}

  /** Applies every step in order. */
  public void run(List<ChaosOp> ops) {
    ops.forEach(this::apply);
  }

  /** Applies one step. */
  public void apply(ChaosOp op) {
    switch (op) {
      case ChaosOp.Execute e -> {
        Call call = calls.apply(e.payloadBytes());
        started.add(new Started(call, System.nanoTime(), bound(call), pool.executeAsync(call)));
      }
      case ChaosOp.OpenSession o -> sessions.open();
      case ChaosOp.SessionCall c -> {
        Call call = calls.apply(c.payloadBytes());
        CompletableFuture<Object> inSession = sessions.call(call);
        started.add(new Started(call, System.nanoTime(), bound(call), inSession != null ? inSession : pool.executeAsync(call)));
      }
      case ChaosOp.CloseSession c -> sessions.close();
      case ChaosOp.StreamItems s -> sessions.stream(s.items(), s.read(), this::bound);
      case ChaosOp.KillWorker k -> Faults.killRandomWorker(pool, random);
      case ChaosOp.FreezeWorker f -> Faults.freezeRandomWorker(pool, random).ifPresent(pid -> {
        frozen.add(pid);
        thawer.schedule(() -> thaw(pid), f.duration().toNanos(), TimeUnit.NANOSECONDS);
      });
      case ChaosOp.RecycleWorker r -> Faults.recycleRandomWorker(pool, random);
      case ChaosOp.Resize r -> {
        pool.resize(r.size());
        target = r.size();
      }
      case ChaosOp.Pause p -> pause(p.duration());
      case ChaosOp.ProxyDelay d -> {
        if (proxy != null) {
          proxy.delay(d.delay());
        }
      }
      case ChaosOp.CorruptFrame c -> {
        if (proxy != null) {
          proxy.corruptNext(c.direction());
        }
      }
      case ChaosOp.TruncateFrame t -> {
        if (proxy != null) {
          proxy.truncateNext(t.direction());
        }
      }
      case ChaosOp.ResetConnection r -> {
        if (proxy != null) {
          proxy.resetRandom(random);
        }
      }
    }
    see(pool.workerPids());
    sample();
  }

  /** The target size after the steps so far. */
  public int targetSize() {
    return target;
  }

  /** Every worker pid seen so far. */
  public Set<Long> workersSeen() {
    return Set.copyOf(seen);
  }

  /**
   * Waits for every call started to end, each within its bound, and returns the outcomes in the order
   * the calls started. A call still running past its bound is a violation and is cancelled.
   */
  public List<Outcome> awaitCalls() {
    awaited = true;
    List<Outcome> outcomes = new ArrayList<>();
    for (Started s : started) {
      long left = s.startedNanos + s.bound.toNanos() - System.nanoTime();
      Object result = null;
      SnakepitException error = null;
      boolean succeeded = false;
      try {
        result = s.future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        succeeded = true;
      } catch (ExecutionException e) {
        if (e.getCause() instanceof SnakepitException se) {
          error = se;
        } else {
          violations.add("call of " + s.call.tool() + " ended with an untyped error: " + e.getCause());
        }
      } catch (TimeoutException e) {
        s.future.cancel(true);
        violations.add("call of " + s.call.tool() + " had no answer within its bound of " + s.bound.toMillis() + " ms");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the calls of a chaos run", e);
      }
      outcomes.add(new Outcome(s.call, succeeded, result, error, Duration.ofNanos(System.nanoTime() - s.startedNanos), s.bound));
    }
    try {
      violations.addAll(sessions.finish());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the streams of a chaos run", e);
    }
    long succeeded = outcomes.stream().filter(Outcome::succeeded).count() + sessions.sure();
    sample();
    long counted = last.callsSucceeded() - succeededBefore;
    if (counted < succeeded || counted > succeeded + sessions.unsure()) {
      violations.add("the pool counted " + counted + " successful calls, the callers got " + succeeded + " results"
          + (sessions.unsure() == 0 ? "" : " and could not tell for " + sessions.unsure() + " more"));
    }
    return outcomes;
  }

  /**
   * Thaws what is still frozen, waits up to {@code settle} for the pool to recover, and returns every
   * broken invariant, each as a sentence; empty when the pool came through. Waits for the calls first
   * if {@link #awaitCalls()} was not called.
   */
  public List<String> violations(Duration settle) {
    if (!awaited) {
      awaitCalls();
    }
    frozen.forEach(this::thaw);
    long deadline = System.nanoTime() + settle.toNanos();
    List<String> now = currentProblems();
    while (!now.isEmpty() && System.nanoTime() - deadline < 0) {
      // The pool replaces workers on its own schedule (heartbeat timeouts, restart backoff); this
      // polls its public state, which announces nothing.
      pause(Duration.ofMillis(20));
      now = currentProblems();
    }
    sample();
    List<String> all = new ArrayList<>(violations);
    all.addAll(now);
    return all;
  }

  /** What is wrong with the pool right now. */
  private List<String> currentProblems() {
    List<String> problems = new ArrayList<>();
    PoolStats stats = pool.stats();
    if (stats.state() != PoolStats.State.RUNNING) {
      problems.add("the pool is " + stats.state() + ", not RUNNING");
    }
    if (stats.targetSize() != target) {
      problems.add("the pool's target is " + stats.targetSize() + ", not " + target);
    }
    if (stats.workers() != target || stats.starting() != 0 || stats.idle() + stats.busy() != target) {
      problems.add("the pool has " + stats.describe() + ", not " + target + " ready workers");
    }
    if (stats.idle() == 0) {
      problems.add("no worker is free (" + stats.describe() + ")");
    }
    if (stats.crashLooping()) {
      problems.add("the pool is crash-looping");
    }
    List<Long> current = pool.workerPids();
    see(current);
    for (long pid : seen) {
      if (current.contains(pid)) {
        continue;
      }
      if (Faults.running(pid)) {
        problems.add("process " + pid + " was a worker and is still alive, outside the pool");
      }
      // Its process group: whatever the worker started that stayed in it.
      for (long member : ProcessTree.groupMembers(pid)) {
        if (member != pid) {
          problems.add("process " + member + ", of the group of former worker " + pid + ", is still alive");
        }
      }
      Long keeper = keepers.get(pid);
      if (keeper != null && Faults.running(keeper)) {
        problems.add("process " + keeper + ", the keeper of former worker " + pid + ", is still alive");
      }
    }
    return problems;
  }

  /** Records workers, and their keepers while they can be read. */
  private void see(List<Long> workers) {
    for (long pid : workers) {
      if (seen.add(pid)) {
        ProcessHandle.of(pid).flatMap(ProcessHandle::parent).ifPresent(keeper -> keepers.put(pid, keeper.pid()));
      }
    }
  }

  private void sample() {
    PoolStats now = pool.stats();
    check("callsSucceeded", last.callsSucceeded(), now.callsSucceeded());
    check("callsFailed", last.callsFailed(), now.callsFailed());
    check("callsRetried", last.callsRetried(), now.callsRetried());
    check("workersStarted", last.workersStarted(), now.workersStarted());
    check("workersCrashed", last.workersCrashed(), now.workersCrashed());
    check("workersReplaced", last.workersReplaced(), now.workersReplaced());
    for (Map.Entry<RecycleReason, Long> e : now.recycles().entrySet()) {
      check("recycles[" + e.getKey() + "]", last.recycles().get(e.getKey()), e.getValue());
    }
    last = now;
  }

  private void check(String counter, long before, long after) {
    if (after < before) {
      violations.add("counter " + counter + " went down from " + before + " to " + after);
    }
  }

  private Duration bound(Call call) {
    PoolConfig config = pool.config();
    Duration timeout = call.timeout() != null ? call.timeout() : config.callTimeout();
    Duration once = config.acquireTimeout().plus(timeout).plus(config.cancelGrace()).plus(GRACE);
    return once.multipliedBy(call.retries() + 1L);
  }

  private void thaw(long pid) {
    if (frozen.remove(pid)) {
      Faults.thaw(pid);
    }
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during a chaos run", e);
    }
  }

  /** Thaws every worker still frozen, clears the proxy's faults and stops the thawing thread. */
  @Override
  public void close() {
    frozen.forEach(this::thaw);
    thawer.shutdownNow();
    if (proxy != null) {
      proxy.clear();
    }
  }

  private record Started(Call call, long startedNanos, Duration bound, CompletableFuture<Object> future) {}
}
