package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolStats;
import dev.snakepit.RecycleReason;
import dev.snakepit.SnakepitException;
import dev.snakepit.ToolInfo;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.RecyclePolicy;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.control.HeartbeatMonitor;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.dispatch.WorkerSlot;
import dev.snakepit.internal.protocol.Hello;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.process.ExitStatus;
import dev.snakepit.internal.process.PythonInterpreter;
import dev.snakepit.internal.process.RunDirectory;
import dev.snakepit.internal.process.WorkerLimits;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.spi.WorkerEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's control loop: the one place where workers are started, declared ready, stopped, killed,
 * buried and replaced.
 *
 * <p>Every method that changes pool or worker state runs on {@link #loop}, a single platform thread
 * (which is also the thread that forks workers, see {@link WorkerLauncher}). Other threads report
 * through {@link ControlLoop#post}, so no lock guards the worker table: only the loop writes it. Fields
 * read by other threads for stats are volatile or concurrent.
 *
 * <p>The supervisor owns the pool's {@link Dispatcher} and is its {@link Dispatcher.Host}: what the
 * dispatcher finds out about a worker (it broke, its socket failed, it is due for recycling) comes
 * back here, through the interface the dispatcher owns.
 */
public final class Supervisor implements Worker.Reports, Dispatcher.Host {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
  /**
   * How long a dead worker's stderr and stdout (control plane) may take to drain before its exit is
   * processed anyway. Both normally end the moment the process group is dead; the bound only covers
   * a process that holds them open and escaped the group kill.
   */
  private static final long OUTPUT_DRAIN_MILLIS = 1000;
  /** How long a worker killed for misbehaving gets to write its stacks first (Dispatcher.STACK_DUMP_LEAD too). */
  private static final long STACK_DUMP_WAIT_MILLIS = 200;
  /** How long a worker whose data connection ended may take to be reported dead before it is killed. */
  private static final long CONNECTION_LOSS_GRACE_MILLIS = 1000;

  private final PoolConfig config;
  private final String pool;
  private final Spawner spawner;
  private final WorkerLimits limits;
  private final ControlLoop loop;
  private final Ticker ticker;
  private final long startedNanos;
  private final HeartbeatMonitor heartbeats;
  /** Loop only. */
  private final Recycler recycler;
  private final Dispatcher dispatcher;
  private final Events events;
  private final Counters counters;
  private final RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(100), Duration.ofSeconds(10));
  /** Loop only. */
  private final CrashLoop crashLoop;

  /** Workers not yet DEAD, by id. Written only on the loop. */
  private final Map<String, Worker> workers = new ConcurrentHashMap<>();
  /** Threads of every worker launched, pruned as they end; joined at close. */
  private final ConcurrentLinkedQueue<Thread> threads = new ConcurrentLinkedQueue<>();
  /** Loop only. */
  private int sequence;
  /** Before when no worker may be started ({@link Ticker} terms): the restart backoff's gate. Loop only. */
  private long startsAllowedNanos;
  /** Workers that died and are not yet replaced, so that their successors count as replacements. Loop only. */
  private int unreplaced;
  /** The reason a surplus worker is stopped with: the last resize. Loop only. */
  private String shrinkReason = "pool resized";
  /** Completes when the first {@code size} workers are ready. Loop only. */
  private CompletableFuture<Void> initialStart;
  /** Loop only. */
  private int initialReady;

  private volatile PoolStats.State state = PoolStats.State.STARTING;
  private volatile Consumer<Throwable> onInternalFailure = error -> {};
  /** How many workers the pool keeps: the configured size until {@link #resize}; written on the loop. */
  private volatile int targetSize;
  /** Whether replacements are held back because workers crash too often; written on the loop. */
  private volatile boolean crashLooping;
  private volatile List<ToolInfo> tools = List.of();
  private volatile boolean selfDispatching;

  /** A supervisor that forks its workers from {@code python}, with the runtime at {@code runtime}. */
  public Supervisor(PoolConfig config, PythonInterpreter python, Path runtime, RunDirectory runDirectory, WorkerLimits limits,
      ScheduledExecutorService executor, Ticker ticker, Events events, Counters counters) {
    this(config, loop -> new WorkerLauncher(config, python, runtime, runDirectory, limits, loop), limits, executor, ticker,
        events, counters);
  }

  /** A supervisor whose workers come from the spawner {@code spawners} makes for its loop. */
  Supervisor(PoolConfig config, Function<ControlLoop, Spawner> spawners, WorkerLimits limits,
      ScheduledExecutorService executor, Ticker ticker, Events events, Counters counters) {
    this.config = config;
    this.pool = config.name();
    this.limits = limits;
    this.loop = new ControlLoop(pool, executor, LOG, error -> onInternalFailure.accept(error));
    this.spawner = spawners.apply(loop);
    this.ticker = ticker;
    this.startedNanos = ticker.nanoTime();
    this.heartbeats = new HeartbeatMonitor(config.heartbeatInterval(), config.heartbeatTimeout(), ticker);
    this.dispatcher = new Dispatcher(pool,
        new Dispatcher.Limits(config.acquireTimeout(), config.maxQueue(), config.callTimeout(), config.cancelGrace()),
        executor, ticker, events, counters, this);
    this.events = events;
    this.counters = counters;
    this.crashLoop = new CrashLoop(config.crashLoopLimit(), config.crashLoopWindow());
    this.recycler = new Recycler(pool, config.callTimeout().plus(config.cancelGrace()).plus(config.shutdownGrace()), loop, ticker,
        counters, new Recycler.Hands() {
          @Override
          public Worker launch() {
            return Supervisor.this.launch(false);
          }

          @Override
          public void stopGracefully(Worker worker, String reason, WorkerExit.PoolReason poolReason) {
            Supervisor.this.stopGracefully(worker, reason, poolReason);
          }

          @Override
          public void kill(Worker worker) {
            Supervisor.this.kill(worker);
          }

          @Override
          public boolean running() {
            return state == PoolStats.State.RUNNING;
          }
        });
    this.targetSize = config.size();
  }

  /** The control loop's executor for pool {@code pool}: one long-lived platform thread, which forks its workers. */
  public static ScheduledExecutorService newLoopExecutor(String pool) {
    return ControlLoop.newExecutor(pool);
  }

  /** The dispatcher this supervisor hosts, which routes the pool's calls to its ready workers. */
  public Dispatcher dispatcher() {
    return dispatcher;
  }

  /** Stops the control loop; tasks still pending never run. Returns whether it ended within {@code timeout}. */
  public boolean stopLoop(Duration timeout) throws InterruptedException {
    return loop.shutdown(timeout);
  }

  /** The pool's counts and state now. */
  public PoolStats stats() {
    Dispatcher.Counts dispatch = dispatcher.counts();
    int live = workers.size();
    int starting = 0;
    for (Worker w : workers.values()) {
      if (w.state() == WorkerState.STARTING) {
        starting++;
      }
    }
    return new PoolStats(pool, state, targetSize, live, dispatch.idle(), dispatch.busy(), starting, dispatch.queued(),
        counters.callsSucceeded.sum(), counters.callsFailed.sum(), counters.callsRetried.sum(), counters.workersStarted.sum(),
        counters.workersCrashed.sum(), counters.workersReplaced.sum(), Duration.ofNanos(ticker.nanoTime() - startedNanos),
        crashLooping, counters.recycles(), limits.describe());
  }

  /** The pool's counts, for the messages of failed calls. */
  @Override
  public String counts() {
    return stats().describe();
  }

  /** How the workers' resource limits are enforced. */
  public String limits() {
    return limits.describe();
  }

  /** Removes the pool's resource-limit groups; after every worker is dead. */
  public void releaseLimits() {
    limits.close();
  }

  /** How many workers the pool keeps. */
  public int targetSize() {
    return targetSize;
  }

  /**
   * Changes how many workers the pool keeps. Growing starts the new workers at once. Shrinking stops
   * the surplus: workers still starting first, then idle ones, then busy ones, each of which gets no
   * new call, finishes the one it runs, and stops, so no call fails. Completes when the change is made
   * (new workers may still be starting, old ones still finishing).
   */
  public CompletableFuture<Void> resize(int size) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.post(() -> {
      if (state != PoolStats.State.RUNNING) {
        done.completeExceptionally(SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' is " + state
            + "; it cannot be resized")
            .pool(pool).build());
        return;
      }
      int from = targetSize;
      targetSize = size;
      shrinkReason = "pool resized from " + from + " to " + size + " workers";
      reconcile();
      LOG.info("pool '{}' resized from {} to {} workers", pool, from, size);
      done.complete(null);
    });
    return done;
  }

  /** The workers a shrink stops first: starting ones, then idle ones, then busy ones. */
  private List<Worker> shrinkOrder() {
    List<Worker> order = new ArrayList<>();
    for (Worker w : workers.values()) {
      if (w.state() == WorkerState.STARTING && !recycler.replacing(w)) {
        order.add(w);
      }
    }
    for (boolean busy : new boolean[] {false, true}) {
      for (Worker w : workers.values()) {
        if (w.state() == WorkerState.READY && !recycler.replaced(w) && w.slot != null && dispatcher.running(w.slot) == busy) {
          order.add(w);
        }
      }
    }
    return order;
  }

  /** Whether workers crash so often that replacements are held back. */
  public boolean crashLooping() {
    return crashLooping;
  }

  /** What the crash-loop circuit says, for health reports. */
  public String crashLoopDescription() {
    return "pool '" + pool + "' is crash-looping: " + config.crashLoopLimit() + " or more workers crashed within "
        + config.crashLoopWindow().toSeconds() + " s; it starts at most " + config.crashLoopLimit()
        + " replacements per " + config.crashLoopWindow().toSeconds() + " s until its workers stay up";
  }

  /** Starts the pool's workers; the future completes when all are ready, or fails with the first start failure. */
  public CompletableFuture<Void> start() {
    CompletableFuture<Void> started = new CompletableFuture<>();
    loop.post(() -> {
      initialStart = started;
      reconcile();
    });
    loop.schedule(this::checkHeartbeats, heartbeats.firstSweep());
    if (RecyclePolicy.enabled(config)) {
      // Memory is read from /proc, which costs a little per worker: once a second is enough for it.
      loop.every(Duration.ofMillis(config.recycleAboveMemory() > 0 ? 1000 : 250), () -> recycler.check(List.copyOf(workers.values())));
    }
    return started;
  }

  /** Workers that count toward the pool's size: starting or ready, and not being replaced by a recycle. */
  private int activeWorkers() {
    int active = 0;
    for (Worker w : workers.values()) {
      WorkerState s = w.state();
      if ((s == WorkerState.STARTING || s == WorkerState.READY) && !recycler.replaced(w)) {
        active++;
      }
    }
    return active;
  }

  /** The dispatcher found a worker past a recycling threshold (calls served, error rate). */
  @Override
  public void recycle(WorkerSlot slot, RecycleReason reason) {
    Worker worker = workers.get(slot.id());
    if (worker != null) {
      loop.post(() -> recycler.recycle(worker, reason));
    }
  }

  /** Kills every worker that has been silent past the heartbeat timeout; see {@link HeartbeatMonitor}. */
  private void checkHeartbeats() {
    List<Worker> watched = new ArrayList<>();
    for (Worker worker : workers.values()) {
      if (worker.state() == WorkerState.STARTING || worker.state() == WorkerState.READY) {
        watched.add(worker);
      }
    }
    Duration next = heartbeats.sweep(watched, w -> w.beats,
        (w, why) -> broken(w, why, ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.HEARTBEAT));
    loop.schedule(this::checkHeartbeats, next);
  }

  public PoolStats.State state() {
    return state;
  }

  public List<ToolInfo> tools() {
    return tools;
  }

  /** Whether the adapter routes calls itself, so any tool name may be valid. */
  public boolean selfDispatching() {
    return selfDispatching;
  }

  /** The pids of the live workers; a worker still starting is left out until its keeper has forked it. */
  public List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    for (Worker w : workers.values()) {
      long pid = w.knownPid();
      if (pid > 0) {
        pids.add(pid);
      }
    }
    return pids;
  }

  /** Kills every worker's tree from the calling thread, without the loop: for when the loop may be what is broken. */
  public void killDirectly() {
    for (Worker w : workers.values()) {
      w.process().killTree(w.pid());
    }
  }

  /** Recycles the worker with that process id, if it is one of this pool's ready workers; says whether it is. */
  public boolean recycleWorker(long pid) {
    for (Worker w : workers.values()) {
      if (w.pid() == pid && w.state() == WorkerState.READY) {
        loop.post(() -> recycler.recycle(w, RecycleReason.REQUESTED));
        return true;
      }
    }
    return false;
  }

  /** The dispatcher found a worker misbehaving (it overran a cancel, or answered a call it did not have). */
  @Override
  public void broken(WorkerSlot slot, String reason, WorkerExit.PoolReason poolReason) {
    Worker worker = workers.get(slot.id());
    if (worker != null) {
      broken(worker, reason, ErrorKind.WORKER_CRASHED, poolReason);
    }
  }

  /** The dispatcher could not write to a worker: handled like a lost connection. */
  @Override
  public void lost(WorkerSlot slot, String reason) {
    Worker worker = workers.get(slot.id());
    if (worker != null) {
      lost(worker, reason);
    }
  }

  @Override
  public void broken(Worker worker, String reason, ErrorKind kind, WorkerExit.PoolReason poolReason) {
    loop.post(() -> {
      if (worker.state() == WorkerState.STARTING || worker.state() == WorkerState.READY) {
        if (worker.failure == null) {
          worker.failure = reason;
          worker.failureKind = kind;
          worker.poolReason = poolReason;
        }
        LOG.warn("{} of pool '{}' {}; killing it", worker, pool, reason);
        if (worker.slot != null) {
          dispatcher.retire(worker.slot);
        }
        worker.moveTo(WorkerState.STOPPING);
        // First the worker writes every thread's Python stack to stderr (faulthandler, which works
        // even when the GIL is held), so that the error and the log show where it hung; unless it
        // wrote them already, ahead of a kill that was foreseen, or it is stopped and cannot.
        long sinceDump = ticker.nanoTime() - worker.stacksDumpedNanos;
        boolean dumped = worker.stacksDumpedNanos != 0 && sinceDump < TimeUnit.MILLISECONDS.toNanos(5 * STACK_DUMP_WAIT_MILLIS);
        if (!dumped && dumpStacks(worker)) {
          loop.schedule(() -> kill(worker), Duration.ofMillis(STACK_DUMP_WAIT_MILLIS));
        } else {
          kill(worker);
        }
      }
    });
  }

  /**
   * The dispatcher will report the worker broken in {@link #STACK_DUMP_WAIT_MILLIS} unless its call
   * ends first (it overruns a cancel): it writes its stacks now, so that the kill, if it comes, need
   * not wait for them.
   */
  @Override
  public void dumpStacksAhead(WorkerSlot slot) {
    loop.post(() -> {
      Worker worker = workers.get(slot.id());
      if (worker != null && worker.state() == WorkerState.READY) {
        dumpStacks(worker);
      }
    });
  }

  /** Asks the worker for its Python stacks, unless it is stopped and could not write them; says whether it asked. */
  private boolean dumpStacks(Worker worker) {
    if (!worker.process().dumpStacks(worker.pid())) {
      return false;
    }
    worker.stacksDumpedNanos = ticker.nanoTime();
    return true;
  }

  @Override
  public void retire(Worker worker, String reason) {
    loop.post(() -> {
      if (worker.state() == WorkerState.READY && !recycler.replaced(worker) && state == PoolStats.State.RUNNING) {
        LOG.warn("{} of pool '{}' asks to be replaced ({}); it is recycled: it finishes its call, then stops", worker, pool, reason);
        recycler.recycle(worker, RecycleReason.REQUESTED);
      }
    });
  }

  /**
   * The worker's data connection ended after the handshake. Almost always its process is dying: the
   * kernel closes a process's sockets before its exit is reported, and that exit (code, signal,
   * stderr) is what its call's error and its crash event must tell. So the worker only stops getting
   * calls now, and is killed as broken only if it is still alive after {@link #CONNECTION_LOSS_GRACE_MILLIS}.
   */
  @Override
  public void lost(Worker worker, String reason) {
    loop.post(() -> {
      if (worker.slot != null) {
        dispatcher.retire(worker.slot);
      }
      loop.schedule(() -> broken(worker, reason, ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.CONNECTION_LOST),
          Duration.ofMillis(CONNECTION_LOSS_GRACE_MILLIS));
    });
  }

  @Override
  public void fatal(Worker worker, Map<String, Object> body) {
    LOG.debug("{} of pool '{}' reported a fatal start-up error: {}", worker, pool, body.get("message"));
  }

  @Override
  public void ready(Worker worker, WorkerSlot slot, Hello hello) {
    loop.post(() -> {
      if (worker.state() != WorkerState.STARTING) {
        return;
      }
      worker.moveTo(WorkerState.READY);
      worker.slot = slot;
      worker.hello = hello;
      worker.wasReady = true;
      if (tools.isEmpty()) {
        tools = hello.tools();
        selfDispatching = hello.selfDispatching();
      }
      backoff.reset();
      counters.workersStarted.increment();
      if (worker.replacement) {
        counters.workersReplaced.increment();
      }
      events.workerStart(new WorkerEvent(pool, worker.id, worker.pid(), worker.uptime(), null, null));
      LOG.debug("{} of pool '{}' is ready after {} ms", worker, pool, worker.uptime().toMillis());
      if (state == PoolStats.State.CLOSING || state == PoolStats.State.CLOSED) {
        worker.stopReason = "pool closing";
        worker.poolReason = WorkerExit.PoolReason.SHUTDOWN;
        kill(worker);
        return;
      }
      dispatcher.add(slot);
      recycler.ready(worker);
      if (initialStart != null && !initialStart.isDone() && ++initialReady >= targetSize) {
        state = PoolStats.State.RUNNING;
        initialStart.complete(null);
      }
    });
  }

  /** Stops replacing workers: the pool is closing. Completes once the loop has taken note. */
  public CompletableFuture<Void> beginClose() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.post(() -> {
      state = PoolStats.State.CLOSING;
      done.complete(null);
    });
    return done;
  }

  /**
   * Stops every worker politely: SHUTDOWN to ready ones (they run {@code teardown()} and exit), a kill
   * for those still starting. Completes when all are dead.
   */
  public CompletableFuture<Void> stopAll(String reason) {
    return endAll(worker -> stopGracefully(worker, reason, WorkerExit.PoolReason.SHUTDOWN));
  }

  /** Kills every worker still alive (and all they started). Completes when all are dead. */
  public CompletableFuture<Void> killAll(String reason) {
    return endAll(worker -> {
      if (worker.stopReason == null) {
        worker.stopReason = reason;
        worker.poolReason = WorkerExit.PoolReason.SHUTDOWN;
      }
      kill(worker);
    });
  }

  /** Closes the pool and ends each worker as {@code end} does, on the loop; completes when all are dead. */
  private CompletableFuture<Void> endAll(Consumer<Worker> end) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.post(() -> {
      state = PoolStats.State.CLOSING;
      List<CompletableFuture<WorkerExit>> exits = new ArrayList<>();
      for (Worker w : workers.values()) {
        exits.add(w.exit);
        end.accept(w);
      }
      CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> done.complete(null));
    });
    return done;
  }

  /** Marks the pool closed; call once every worker is dead. */
  public void markClosed() {
    state = PoolStats.State.CLOSED;
  }

  /**
   * The JVM is exiting with the pool still open (the shutdown hook kills the workers next): from now
   * on nothing is replaced and no death is reported as a crash. Runs on the hook's thread.
   */
  public void abandon() {
    if (state == PoolStats.State.STARTING || state == PoolStats.State.RUNNING) {
      state = PoolStats.State.CLOSING;
    }
  }

  /** Waits for the reading threads of all workers to end, up to {@code timeout} in total. */
  public void joinThreads(Duration timeout) throws InterruptedException {
    long deadline = ticker.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = deadline - ticker.nanoTime();
      if (left <= 0) {
        break;
      }
      t.join(Duration.ofNanos(left));
    }
  }

  /** Starts a worker; returns it, or null when it could not be started (a replacement is scheduled then). */
  private Worker launch(boolean replacement) {
    String id = "w" + (++sequence);
    Worker worker = new Worker(id, replacement, RecyclePolicy.of(config), this, ticker);
    WorkerProcess process;
    try {
      process = spawner.spawn(id, new Spawner.Wiring(worker.recycling, dispatcher, worker::pid, worker.channelReports()));
    } catch (IOException | RuntimeException e) {
      String message = "cannot start worker " + id + " of pool '" + pool + "' with '"
          + config.pythonExecutable() + "': " + e.getMessage();
      if (initialStart != null && !initialStart.isDone()) {
        failStart(SnakepitException.builder(ErrorKind.WORKER_CRASHED, message)
            .pool(pool).worker(id).cause(e).build());
      } else {
        LOG.warn(message, e);
        holdStarts(true);
      }
      return null;
    }
    worker.attach(process);
    workers.put(id, worker);
    threads.removeIf(t -> !t.isAlive());
    threads.addAll(process.threads());
    process.exited().thenRun(() -> loop.post(() -> exited(worker)));
    loop.schedule(() -> {
      if (worker.state() == WorkerState.STARTING) {
        broken(worker, "did not become ready within " + config.startTimeout().toMillis() + " ms", ErrorKind.TIMEOUT,
            WorkerExit.PoolReason.START_TIMEOUT);
      }
    }, config.startTimeout());
    return worker;
  }

  /**
   * Stops a worker on purpose: one still starting is killed; a ready one gets no new call, and the
   * SHUTDOWN it is sent queues behind the call it runs, if any, so it answers that call, then stops.
   */
  private void stopGracefully(Worker worker, String reason, WorkerExit.PoolReason poolReason) {
    if (worker.stopReason == null) {
      worker.stopReason = reason;
      worker.poolReason = poolReason;
    }
    if (worker.state() == WorkerState.READY) {
      worker.moveTo(WorkerState.STOPPING);
      dispatcher.retire(worker.slot);
      askToShutDown(worker, worker.stopReason);
    } else if (worker.state() == WorkerState.STARTING) {
      kill(worker);
    }
  }

  private void askToShutDown(Worker worker, String reason) {
    try {
      worker.slot.data().write(FrameKind.SHUTDOWN, 0, Messages.shutdown(reason));
    } catch (Exception e) {
      // Cannot ask: kill instead. The worker's stdin stays open until then, because closing it would
      // make the worker exit without teardown().
      kill(worker);
    }
  }

  /** Kills the worker's whole process group. Its exit, reported by the JDK, finishes the job. */
  private void kill(Worker worker) {
    if (worker.state() == WorkerState.DEAD) {
      return;
    }
    if (worker.state() != WorkerState.STOPPING) {
      worker.moveTo(WorkerState.STOPPING);
    }
    if (worker.slot != null) {
      dispatcher.retire(worker.slot);
    }
    worker.process().killTree(worker.pid());
    worker.process().closeChannels();
  }

  private void exited(Worker worker) {
    if (worker.state() == WorkerState.DEAD) {
      return;
    }
    if (worker.slot != null) {
      dispatcher.retire(worker.slot);
    }
    // The keeper killed the worker's tree before it exited; whatever is left of the worker's group (the
    // keeper itself was killed, say) still holds its stderr open: kill it so the pipe drains.
    worker.process().killLeftovers(worker.pid());
    // A FATAL frame on the control plane says why a worker failed to start, so its exit is
    // processed only once that channel has been read to its end, as well as stderr.
    worker.process().outputEnded().thenRun(() -> loop.post(() -> buried(worker)));
    loop.schedule(() -> buried(worker), Duration.ofMillis(OUTPUT_DRAIN_MILLIS));
  }

  private void buried(Worker worker) {
    if (worker.state() == WorkerState.DEAD) {
      return;
    }
    WorkerExit observed = ExitStatus.of(worker.pid(), worker.process().exited().join(), worker.process().stderrTail());
    WorkerExit.Cause cause = worker.failure != null ? WorkerExit.Cause.KILLED_BY_POOL
        : worker.stopReason != null ? WorkerExit.Cause.STOPPED_BY_POOL
        : "SIGKILL".equals(observed.signal()) && limits.oomKilled(worker.id) ? WorkerExit.Cause.OUT_OF_MEMORY
        : observed.cause();
    limits.release(worker.id);
    WorkerExit exit = new WorkerExit(observed.pid(), observed.exitCode(), observed.signal(), observed.stderrTail(), cause,
        cause == WorkerExit.Cause.KILLED_BY_POOL || cause == WorkerExit.Cause.STOPPED_BY_POOL ? worker.poolReason : null);
    worker.moveTo(WorkerState.DEAD);
    workers.remove(worker.id);
    worker.process().forget();
    recycler.buried(worker);
    worker.process().closeChannels();
    boolean intended = worker.stopReason != null && worker.failure == null;
    if (worker.slot != null) {
      dispatcher.gone(worker.slot, tool -> Failures.callLost(pool, worker, exit, tool));
    }
    String reason = worker.failure != null ? worker.failure : intended ? worker.stopReason : "died: " + exit.describe();
    WorkerEvent event = new WorkerEvent(pool, worker.id, worker.pid(), worker.uptime(), reason, exit);
    if (intended) {
      events.workerStop(event);
    } else {
      counters.workersCrashed.increment();
      crashLoop.crashed(ticker.nanoTime());
      events.workerCrash(event);
      if (state == PoolStats.State.RUNNING) {
        LOG.warn("{} of pool '{}' {} ({}){}", worker, pool, worker.failure != null ? "was killed: " + worker.failure : "died",
            exit.describe(), exit.stderrTail().isEmpty() ? "" : "; stderr tail:\n" + exit.stderrTail());
      }
    }
    worker.exit.complete(exit);
    if (initialStart != null && !initialStart.isDone() && !worker.wasReady) {
      failStart(Failures.startFailed(pool, config.adapter(), worker, exit));
      return;
    }
    if (open() && worker.stopReason == null) {
      if (!worker.wasReady) {
        LOG.warn("{}", Failures.startFailed(pool, config.adapter(), worker, exit).getMessage());
      }
      unreplaced++;
      holdStarts(!worker.wasReady);
      reconcile();
    }
  }

  private boolean open() {
    return state == PoolStats.State.RUNNING || state == PoolStats.State.STARTING;
  }

  /**
   * Brings the number of workers to the target: starts the missing ones, unless the restart backoff
   * or the crash-loop circuit holds starts back (then it runs again when they allow), and stops the
   * surplus in {@link #shrinkOrder}. It compares what is with what should be and acts on the
   * difference, so it may run any number of times: after a start, a death, a failed spawn or a
   * resize, and whenever a hold ends.
   */
  private void reconcile() {
    if (!open()) {
      return;
    }
    int missing = targetSize - activeWorkers();
    unreplaced = Math.max(0, Math.min(unreplaced, missing));
    if (missing < 0) {
      int surplus = -missing;
      for (Worker worker : shrinkOrder()) {
        if (surplus-- <= 0) {
          break;
        }
        stopGracefully(worker, shrinkReason, WorkerExit.PoolReason.RESIZE);
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
    for (int i = 0; i < missing && open(); i++) {
      boolean replacement = unreplaced > 0;
      if (launch(replacement) == null) {
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
      LOG.info("pool '{}' replaces a worker in {} ms after {} failed start(s) in a row", pool, delay, backoff.failures());
    }
    startsAllowedNanos = ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
  }

  private void failStart(SnakepitException error) {
    if (initialStart.isDone()) {
      return;
    }
    state = PoolStats.State.CLOSING;
    initialStart.completeExceptionally(error);
  }

  /** Sets what happens after a failure inside the control loop; the pool closes itself. */
  public void onInternalFailure(Consumer<Throwable> handler) {
    this.onInternalFailure = handler;
  }

  /** The failure inside the control loop that closed the pool, or null. */
  public Throwable internalFailure() {
    return loop.failure();
  }

  /** Fault injection (tests, chaos kit): a task on the control loop that fails as a bug would. */
  public void injectFailure(RuntimeException error) {
    loop.post(() -> {
      throw error;
    });
  }
}
