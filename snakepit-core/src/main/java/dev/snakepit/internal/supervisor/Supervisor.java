package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolStats;
import dev.snakepit.RecycleReason;
import dev.snakepit.SnakepitException;
import dev.snakepit.ToolInfo;
import dev.snakepit.WorkerExit;
import dev.snakepit.WorkerInfo;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.RecyclePolicy;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.control.HeartbeatMonitor;
import dev.snakepit.internal.dispatch.DispatchHost;
import dev.snakepit.internal.dispatch.DispatchLimits;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.dispatch.WorkerSlot;
import dev.snakepit.internal.protocol.Hello;
import dev.snakepit.internal.protocol.SharedMemory;
import dev.snakepit.internal.process.PythonInterpreter;
import dev.snakepit.internal.process.RunDirectory;
import dev.snakepit.internal.process.WorkerLimits;
import dev.snakepit.spi.WorkerEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's control loop: where what happens to workers (started, ready, lost, broken, dead) is
 * decided. The decisions have rooms of their own: {@link Reconciler} keeps the pool's size,
 * {@link Recycler} pairs recycled workers with their replacements, {@link WorkerEndings} stops and
 * kills, {@link Burial} buries, {@link PoolLifecycle} holds the pool's state; {@link Spawner} is the
 * one way to a process.
 *
 * <p>Every method that changes pool or worker state runs on {@link #loop}, a single platform thread
 * (which is also the thread that forks workers, see {@link WorkerLauncher}). Other threads report
 * through {@link ControlLoop#post}, so no lock guards the worker table: only the loop writes it. Fields
 * read by other threads for stats are volatile or concurrent.
 *
 * <p>The supervisor owns the pool's {@link Dispatcher} and is its {@link DispatchHost}: what the
 * dispatcher finds out about a worker (it broke, its socket failed, it is due for recycling) comes
 * back here, through the interface the dispatcher owns.
 */
public final class Supervisor implements Worker.Reports, DispatchHost {
  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

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
  private final WorkerEndings endings;
  private final Events events;
  private final Counters counters;
  /** Keeps the number of workers at the target; loop only. */
  private final Reconciler size;

  private final WorkerTable workers = new WorkerTable();
  /** Loop only. */
  private int sequence;
  /** What the ids of this supervisor's workers start with: {@code w}, or {@code g2-w} for a pool's second generation. */
  private final String idPrefix;
  private final PoolLifecycle lifecycle = new PoolLifecycle();
  /** Buries dead workers; loop only. */
  private final Burial burial;
  private volatile Consumer<Throwable> onInternalFailure = error -> {};
  /** The HELLO that said which tools the adapter has: the first with any, or the first. */
  private volatile Hello adapter;

  /**
   * A supervisor that forks its workers from {@code python}, with the runtime at {@code runtime}; the
   * ids of its workers start with {@code idPrefix}.
   */
  public Supervisor(PoolConfig config, PythonInterpreter python, Path runtime, RunDirectory runDirectory, WorkerLimits limits,
      ScheduledExecutorService executor, Ticker ticker, Events events, Counters counters, SharedMemory shared, String idPrefix) {
    this(config, loop -> new WorkerLauncher(config, python, runtime, runDirectory, shared, limits, loop), limits, executor,
        ticker, events, counters, idPrefix);
  }

  /** A supervisor whose workers, {@code w1}, {@code w2} ..., come from the spawner {@code spawners} makes for its loop. */
  Supervisor(PoolConfig config, Function<ControlLoop, Spawner> spawners, WorkerLimits limits,
      ScheduledExecutorService executor, Ticker ticker, Events events, Counters counters) {
    this(config, spawners, limits, executor, ticker, events, counters, "w");
  }

  private Supervisor(PoolConfig config, Function<ControlLoop, Spawner> spawners, WorkerLimits limits,
      ScheduledExecutorService executor, Ticker ticker, Events events, Counters counters, String idPrefix) {
    this.idPrefix = idPrefix;
    this.config = config;
    this.pool = config.name();
    this.limits = limits;
    this.loop = new ControlLoop(pool, executor, LOG, error -> onInternalFailure.accept(error));
    this.spawner = spawners.apply(loop);
    this.ticker = ticker;
    this.startedNanos = ticker.nanoTime();
    this.heartbeats = new HeartbeatMonitor(config.heartbeatInterval(), config.heartbeatTimeout(), ticker);
    this.dispatcher = new Dispatcher(pool,
        new DispatchLimits(config.acquireTimeout(), config.maxQueue(), config.callTimeout(), config.cancelGrace(),
            config.maxSessionsPerWorker(), config.hostFunctions(), config.maxHostCallDepth(), config.pipelineDepth()),
        executor, ticker, events, counters, this);
    this.endings = new WorkerEndings(pool, loop, ticker, dispatcher, this::bury, config.sessionDrainTimeout());
    this.events = events;
    this.counters = counters;
    this.recycler = new Recycler(pool, config.callTimeout().plus(config.cancelGrace()).plus(config.shutdownGrace()), loop, ticker,
        counters, endings, () -> launch(false), lifecycle::running);
    this.size = new Reconciler(config, workers.all(), recycler, dispatcher, endings, loop, ticker, this::launch, lifecycle::open);
    this.burial = new Burial(config, lifecycle, workers, recycler, size, dispatcher, limits, events, counters, ticker);
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
    return new PoolStats(pool, lifecycle.state(), size.target(), workers.size(), dispatch.idle(), dispatch.busy(),
        workers.in(WorkerState.STARTING).size(), dispatch.queued(),
        counters.callsSucceeded.sum(), counters.callsFailed.sum(), counters.callsRetried.sum(), counters.workersStarted.sum(),
        counters.workersCrashed.sum(), counters.workersReplaced.sum(), Duration.ofNanos(ticker.nanoTime() - startedNanos),
        size.crashLooping(), counters.recycles(), limits.describe(), dispatch.sessions(), dispatch.streams(),
        counters.streamItems.sum());
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

  /** Ends what the pool keeps to start workers (a preloading pool's template); after every worker is dead. */
  public void closeSpawner() throws InterruptedException {
    spawner.close();
  }

  /** Removes the pool's resource-limit groups; after every worker is dead. */
  public void releaseLimits() {
    limits.close();
  }

  /** How many workers the pool keeps. */
  public int targetSize() {
    return size.target();
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
      if (!lifecycle.running()) {
        done.completeExceptionally(SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' is " + lifecycle.state()
            + "; it cannot be resized")
            .pool(pool).build());
        return;
      }
      int from = this.size.resize(size);
      LOG.info("pool '{}' resized from {} to {} workers", pool, from, size);
      done.complete(null);
    });
    return done;
  }

  /** Whether workers crash so often that replacements are held back. */
  public boolean crashLooping() {
    return size.crashLooping();
  }

  /** What the crash-loop circuit says, for health reports. */
  public String crashLoopDescription() {
    return size.crashLoopDescription();
  }

  /** Starts the pool's workers; the future completes when all are ready, or fails with the first start failure. */
  public CompletableFuture<Void> start() {
    CompletableFuture<Void> started = new CompletableFuture<>();
    loop.post(() -> {
      lifecycle.starting(started);
      size.reconcile();
    });
    loop.schedule(this::checkHeartbeats, heartbeats.firstSweep());
    if (RecyclePolicy.enabled(config)) {
      // Memory is read from /proc, which costs a little per worker: once a second is enough for it.
      loop.every(Duration.ofMillis(config.recycleAboveMemory() > 0 ? 1000 : 250), () -> recycler.check(List.copyOf(workers.all())));
    }
    return started;
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
    Duration next = heartbeats.sweep(workers.in(WorkerState.STARTING, WorkerState.READY), w -> w.beats,
        (w, why) -> broken(w, why, ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.HEARTBEAT));
    loop.schedule(this::checkHeartbeats, next);
  }

  public PoolStats.State state() {
    return lifecycle.state();
  }

  public List<ToolInfo> tools() {
    Hello said = adapter;
    return said == null ? List.of() : said.tools();
  }

  /** Whether the adapter's HELLO says so, such as {@link Hello#selfDispatching}; false before any worker was ready. */
  public boolean adapterSays(Predicate<Hello> what) {
    Hello said = adapter;
    return said != null && what.test(said);
  }

  /** The live workers now, each with its resident memory read from /proc. */
  public List<WorkerInfo> workers() {
    List<WorkerInfo> infos = new ArrayList<>();
    for (Worker w : workers.all()) {
      WorkerInfo.State state = switch (w.state()) {
        case STARTING -> WorkerInfo.State.STARTING;
        case READY -> w.draining ? WorkerInfo.State.DRAINING : WorkerInfo.State.READY;
        case STOPPING, DEAD -> WorkerInfo.State.STOPPING;
      };
      WorkerProcess process = w.process();
      long roundTrip = w.beats.roundTripMicros();
      infos.add(new WorkerInfo(w.id, w.knownPid(), state, w.uptime(), process == null ? 0 : process.residentBytes(),
          w.recycling.answeredCalls(), roundTrip < 0 ? null : Duration.ofNanos(roundTrip * 1000)));
    }
    infos.sort(Comparator.comparingInt((WorkerInfo i) -> i.id().length()).thenComparing(WorkerInfo::id));
    return infos;
  }

  @Override
  public void heartbeat(Worker worker, long sequence, long roundTripMicros) {
    events.heartbeat(worker.id, sequence, roundTripMicros);
  }

  /** The pids of the live workers; a worker still starting is left out until its keeper has forked it. */
  public List<Long> pids() {
    return workers.pids();
  }

  /** Kills every worker's tree from the calling thread, without the loop: for when the loop may be what is broken. */
  public void killDirectly() {
    workers.killAll();
  }

  /** Recycles the worker with that process id, if it is one of this pool's ready workers; says whether it is. */
  public boolean recycleWorker(long pid) {
    Optional<Worker> worker = workers.readyWithPid(pid);
    worker.ifPresent(w -> loop.post(() -> recycler.recycle(w, RecycleReason.REQUESTED)));
    return worker.isPresent();
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
    loop.post(() -> endings.killBroken(worker, reason, kind, poolReason));
  }

  /**
   * The dispatcher will report the worker broken in {@link WorkerEndings#STACK_DUMP_WAIT_MILLIS} unless its call
   * ends first (it overruns a cancel): it writes its stacks now, so that the kill, if it comes, need
   * not wait for them.
   */
  @Override
  public void dumpStacksAhead(WorkerSlot slot) {
    loop.post(() -> {
      Worker worker = workers.get(slot.id());
      if (worker != null && (worker.state() == WorkerState.READY || worker.state() == WorkerState.STOPPING)) {
        endings.dumpStacks(worker);
      }
    });
  }

  @Override
  public void retire(Worker worker, String reason) {
    loop.post(() -> {
      if (worker.state() == WorkerState.READY && !recycler.replaced(worker) && lifecycle.running()) {
        LOG.warn("{} of pool '{}' asks to be replaced ({}); it is recycled: it finishes its call, then stops", worker, pool, reason);
        recycler.recycle(worker, RecycleReason.REQUESTED);
      }
    });
  }

  /** The worker's data connection ended after the handshake; see {@link WorkerEndings#connectionLost}. */
  @Override
  public void lost(Worker worker, String reason) {
    loop.post(() -> endings.connectionLost(worker, reason));
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
      if (adapter == null || adapter.tools().isEmpty()) {
        adapter = hello;
      }
      size.workerReady();
      counters.workersStarted.increment();
      if (worker.replacement) {
        counters.workersReplaced.increment();
      }
      events.workerStart(new WorkerEvent(pool, worker.id, worker.pid(), worker.uptime(), null, null));
      LOG.debug("{} of pool '{}' is ready after {} ms", worker, pool, worker.uptime().toMillis());
      if (lifecycle.closing()) {
        endings.killForShutdown(worker, "pool closing");
        return;
      }
      dispatcher.add(slot);
      recycler.ready(worker);
      lifecycle.workerReady(size.target());
    });
  }

  /** Stops replacing workers: the pool is closing. Completes once the loop has taken note. */
  public CompletableFuture<Void> beginClose() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.post(() -> {
      lifecycle.close();
      done.complete(null);
    });
    return done;
  }

  /**
   * Stops every worker politely: SHUTDOWN to ready ones (they run {@code teardown()} and exit), a kill
   * for those still starting. Completes when all are dead.
   */
  public CompletableFuture<Void> stopAll(String reason) {
    return endAll(worker -> endings.stopGracefully(worker, reason, WorkerExit.PoolReason.SHUTDOWN));
  }

  /** Kills every worker still alive (and all they started). Completes when all are dead. */
  public CompletableFuture<Void> killAll(String reason) {
    return endAll(worker -> endings.killForShutdown(worker, reason));
  }

  /** Closes the pool and ends each worker as {@code end} does, on the loop; completes when all are dead. */
  private CompletableFuture<Void> endAll(Consumer<Worker> end) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.post(() -> {
      lifecycle.close();
      List<CompletableFuture<WorkerExit>> exits = new ArrayList<>();
      for (Worker w : workers.all()) {
        exits.add(w.exit);
        end.accept(w);
      }
      CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> done.complete(null));
    });
    return done;
  }

  /** Marks the pool closed; call once every worker is dead. */
  public void markClosed() {
    lifecycle.closed();
  }

  /**
   * The JVM is exiting with the pool still open (the shutdown hook kills the workers next): from now
   * on nothing is replaced and no death is reported as a crash. Runs on the hook's thread.
   */
  public void abandon() {
    lifecycle.abandon();
  }

  /** Waits for the reading threads of all workers to end, up to {@code timeout} in total. */
  public void joinThreads(Duration timeout) throws InterruptedException {
    workers.joinThreads(timeout, ticker);
  }

  /** Starts a worker; returns it, or null when it could not be started (a replacement is scheduled then). */
  private Worker launch(boolean replacement) {
    String id = idPrefix + (++sequence);
    Worker worker = new Worker(id, replacement, RecyclePolicy.of(config), this, ticker);
    WorkerProcess process;
    try {
      process = spawner.spawn(id, new Spawner.Wiring(worker.recycling, dispatcher, worker::pid, worker.channelReports()));
    } catch (IOException | RuntimeException e) {
      String message = "cannot start worker " + id + " of pool '" + pool + "' with '"
          + config.pythonExecutable() + "': " + e.getMessage();
      if (lifecycle.firstStartPending()) {
        lifecycle.failStart(SnakepitException.builder(ErrorKind.WORKER_CRASHED, message)
            .pool(pool).worker(id).cause(e).build());
      } else {
        LOG.warn(message, e);
        size.spawnFailed();
      }
      return null;
    }
    worker.attach(process);
    workers.add(worker);
    process.exited().thenRun(() -> loop.post(() -> endings.exited(worker)));
    endings.expectReadyWithin(worker, config.startTimeout());
    return worker;
  }

  private void bury(Worker worker) {
    burial.bury(worker);
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
