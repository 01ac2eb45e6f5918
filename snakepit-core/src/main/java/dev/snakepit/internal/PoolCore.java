package dev.snakepit.internal;

import dev.snakepit.Call;
import dev.snakepit.CallResult;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolHealth;
import dev.snakepit.PoolStats;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamOptions;
import dev.snakepit.ToolInfo;
import dev.snakepit.WorkerInfo;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.process.PythonInterpreter;
import dev.snakepit.internal.process.PythonRuntime;
import dev.snakepit.internal.process.RunDirectory;
import dev.snakepit.internal.process.RunRegistry;
import dev.snakepit.internal.process.VirtualEnvironments;
import dev.snakepit.internal.process.WorkerLimits;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.Hello;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.SharedMemory;
import dev.snakepit.internal.session.Sessions;
import dev.snakepit.internal.supervisor.Supervisor;
import dev.snakepit.spi.EnvironmentEvent;
import dev.snakepit.spi.PoolListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The implementation behind {@link dev.snakepit.Snakepit}: wires the control loop ({@link Supervisor}),
 * the call router ({@link Dispatcher}) and the runtime files together, encodes calls, and runs start;
 * its close is the {@link PoolShutdown}'s. Owns one platform thread (the control loop) plus three per
 * worker.
 */
public final class PoolCore {
  private static final Logger LOG = LoggerFactory.getLogger(PoolCore.class);
  /** Extra wait beyond every timeout the pool enforces, before a blocked caller suspects a bug. */
  private static final Duration SAFETY_MARGIN = Duration.ofMinutes(1);
  /** The window of the crash rate that readiness is judged by. */
  private static final Duration CRASH_RATE_WINDOW = Duration.ofMinutes(1);

  private final PoolConfig config;
  private final String pool;
  private final Counters counters = new Counters();
  private final Dispatcher dispatcher;
  private final Supervisor supervisor;
  private final Ticker ticker;
  private final long startedNanos;
  private final PoolShutdown shutdown;
  private final CallRunner runner;
  private final BatchRunner batches;
  private final Sessions sessions;
  private final Events events;

  private PoolCore(PoolConfig config, PythonInterpreter python, Path runtime, RunDirectory runDirectory, WorkerLimits limits,
      Ticker ticker, int generation, List<PoolListener> listeners) {
    this.config = config;
    this.ticker = ticker;
    this.startedNanos = ticker.nanoTime();
    this.pool = config.name();
    // Workers are forked from the loop's one long-lived thread, which their parent-death signal is tied to.
    this.events = new Events(pool, config.listener(), ticker);
    listeners.forEach(events::add);
    ScheduledExecutorService loop = Supervisor.newLoopExecutor(pool);
    // One for the pool: the JVM's files are named by its counter.
    SharedMemory shared = runDirectory.sharedMemoryDirectory() == null ? SharedMemory.OFF
        : new SharedMemory(runDirectory.sharedMemoryDirectory(), config.sharedMemoryThreshold());
    this.supervisor = new Supervisor(config, python, runtime, runDirectory, limits, loop, ticker, events, counters, shared,
        generation == 1 ? "w" : "g" + generation + "-w");
    this.dispatcher = supervisor.dispatcher();
    this.shutdown = new PoolShutdown(pool, config.shutdownGrace(), supervisor, runDirectory, ticker);
    this.runner = new CallRunner(config, counters, supervisor, shutdown, ticker, shared);
    this.batches = new BatchRunner(config, runner, () -> supervisor.stats().targetSize(), ticker);
    this.sessions = new Sessions(config, runner, dispatcher, events, loop, ticker, () -> supervisor.adapterSays(Hello::movesSessions));
    // After a bug in the control loop the pool's state cannot be trusted: close, from a thread of its own.
    supervisor.onInternalFailure(error -> Thread.ofPlatform().daemon().name("snakepit-" + pool + "-failure").start(this::close));
  }

  /**
   * Starts generation {@code generation} of a pool, with {@code listeners} besides its configuration's,
   * and waits until all its workers are ready; see {@code Snakepit.start} and {@code Snakepit.reload}.
   * Workers of generation 1 are {@code w1}, {@code w2} ...; those of generation 2 {@code g2-w1} ...
   */
  public static PoolCore start(PoolConfig config, int generation, List<PoolListener> listeners) {
    Path runtime;
    PythonInterpreter python;
    RunDirectory runDirectory;
    WorkerLimits limits;
    try {
      runtime = PythonRuntime.directory();
      RunRegistry.get().sweepOnce();
      python = PythonInterpreter.resolve(config.pythonExecutable(), runtime, config.startTimeout());
      if (config.managesEnvironment()) {
        Path environment = VirtualEnvironments.prepare(config, python, event -> environmentEvent(config, listeners, event));
        python = PythonInterpreter.resolve(environment.toString(), runtime, config.startTimeout());
      }
      runDirectory = RunDirectory.create(config.name(), config.sharedMemory() ? config.sharedMemoryDirectory() : null);
    } catch (PythonInterpreter.Unusable | VirtualEnvironments.Failure | RuntimeException e) {
      throw cannotStart(config, e);
    }
    try {
      // Two generations of a pool live side by side while one replaces the other: each has its own group.
      limits = WorkerLimits.create(generation == 1 ? config.name() : config.name() + "-g" + generation,
          config.workerMemoryLimit(), config.workerCpuLimit());
    } catch (RuntimeException e) {
      runDirectory.close();
      throw cannotStart(config, e);
    }
    PoolCore core = new PoolCore(config, python, runtime, runDirectory, limits, Ticker.SYSTEM, generation, listeners);
    core.awaitStart();
    LOG.info("pool '{}' started {} workers of {}{} on Python {} in {} ms", config.name(), config.size(),
        config.adapter(), generation == 1 ? "" : " (generation " + generation + ")", python.version(),
        Duration.ofNanos(core.ticker.nanoTime() - core.startedNanos).toMillis());
    return core;
  }

  private void awaitStart() {
    CompletableFuture<Void> started = supervisor.start();
    try {
      started.get(config.startTimeout().plus(SAFETY_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      shutdown.abort();
      throw e.getCause() instanceof SnakepitException s ? s
          : SnakepitException.builder(ErrorKind.WORKER_CRASHED, "pool '" + pool + "' could not start")
              .pool(pool).cause(e.getCause()).build();
    } catch (TimeoutException e) {
      shutdown.abort();
      throw SnakepitException.builder(ErrorKind.TIMEOUT, "pool '" + pool + "' did not start within "
          + config.startTimeout().plus(SAFETY_MARGIN))
          .pool(pool).build();
    } catch (InterruptedException e) {
      shutdown.abort();
      Thread.currentThread().interrupt();
      throw new SnakepitException(ErrorKind.CANCELLED, "interrupted while pool '" + pool + "' was starting");
    }
  }

  public Object execute(Call call) {
    return runner.execute(request(call), CallRunner.VALUE);
  }

  /** See {@code Snakepit.executeDetailed}. */
  public CallResult executeDetailed(Call call) {
    return runner.execute(request(call), CallRunner.DETAILED);
  }

  public CompletableFuture<Object> executeAsync(Call call) {
    return runner.executeAsync(request(call), CallRunner.VALUE);
  }

  /** See {@code Snakepit.executeDetailedAsync}. */
  public CompletableFuture<CallResult> executeDetailedAsync(Call call) {
    return runner.executeAsync(request(call), CallRunner.DETAILED);
  }

  /** See {@code Snakepit.stream}. */
  public ItemStream stream(Call call, StreamOptions options) {
    return runner.stream(request(call), options, UnaryOperator.identity());
  }

  /** See {@code Snakepit.mapAsync}; {@code method} names the API method for messages about misuse. */
  public <T> CompletableFuture<T> mapAsync(String method, Call template, List<? extends Map<String, ?>> inputs,
      BatchRunner.Finish<T> finish) {
    return batches.start(method, template, inputs, finish);
  }

  /** See {@code Snakepit.map}. */
  public <T> T map(Call template, List<? extends Map<String, ?>> inputs, BatchRunner.Finish<T> finish) {
    return batches.await(batches.start("Snakepit.map", template, inputs, finish), template);
  }

  /** The sessions of this pool. */
  public Sessions sessions() {
    return sessions;
  }

  private Request request(Call call) {
    Duration timeout = call.timeout() != null ? call.timeout() : config.callTimeout();
    return new Request(FrameKind.CALL, call.tool(), Messages.call(call.tool(), call.args(), call.kwargs(), timeout.toMillis()),
        timeout, call.retries(), null);
  }

  public List<ToolInfo> tools() {
    return supervisor.tools();
  }

  public PoolConfig config() {
    return config;
  }

  public List<Long> workerPids() {
    return supervisor.pids();
  }

  public PoolStats stats() {
    return supervisor.stats();
  }

  /** See {@code Snakepit.resize}, which checks {@code size}. */
  public void resize(int size) {
    if (shutdown.closing()) {
      throw SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' is closed; it cannot be resized")
          .pool(pool).build();
    }
    try {
      supervisor.resize(size).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof SnakepitException s ? s : new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw SnakepitException.builder(ErrorKind.TIMEOUT, "pool '" + pool + "' did not resize within 10 s")
          .pool(pool).cause(e).build();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SnakepitException(ErrorKind.CANCELLED, "interrupted while pool '" + pool + "' was resized");
    }
  }

  public PoolHealth health() {
    PoolStats stats = stats();
    long now = ticker.nanoTime();
    double crashRate = counters.crashesWithin(CRASH_RATE_WINDOW.toNanos(), now) / (double) CRASH_RATE_WINDOW.toSeconds();
    List<String> reasons = new ArrayList<>();
    Throwable failure = supervisor.internalFailure();
    boolean live = failure == null && stats.state() != PoolStats.State.CLOSED;
    if (failure != null) {
      reasons.add("pool '" + pool + "' is " + stats.state() + " after an internal error in its control loop (" + failure + ")");
    } else if (stats.state() != PoolStats.State.RUNNING) {
      reasons.add("pool '" + pool + "' is " + stats.state());
    }
    if (stats.crashLooping()) {
      reasons.add(supervisor.crashLoopDescription());
    }
    if (crashRate >= config.maxCrashRate()) {
      reasons.add(String.format(Locale.ROOT, "workers of pool '%s' crashed %.3f times per second over the last minute, at or"
          + " above the limit of %s (maxCrashRate)", pool, crashRate, config.maxCrashRate()));
    }
    if (stats.idle() + stats.busy() == 0 && stats.state() == PoolStats.State.RUNNING) {
      reasons.add("no worker of pool '" + pool + "' is ready [" + stats.describe() + "]");
    }
    return new PoolHealth(live, live && reasons.isEmpty(), reasons, crashRate, stats);
  }

  /** The pool's event delivery, to which listeners may be added. */
  public Events events() {
    return events;
  }

  /** See {@code Snakepit.workers}. */
  public List<WorkerInfo> workers() {
    return supervisor.workers();
  }

  public void close() {
    sessions.poolClosing();
    shutdown.close();
  }

  /**
   * Stops a generation that a reload replaced: its sessions still open are lost ({@code why}), as they
   * would be with their worker, since the pool itself serves on; then it closes.
   */
  public void retire(String why) {
    sessions.loseAll(why);
    close();
  }

  /** Tells the pool's listeners of a step of making its environment; one that throws is logged and skipped. */
  private static void environmentEvent(PoolConfig config, List<PoolListener> listeners, EnvironmentEvent event) {
    List<PoolListener> all = new ArrayList<>(listeners);
    all.addFirst(config.listener());
    for (PoolListener listener : all) {
      try {
        listener.environment(event);
      } catch (RuntimeException e) {
        LOG.warn("PoolListener {} of pool '{}' threw; the event is dropped", listener.getClass().getName(), config.name(), e);
      }
    }
  }

  private static SnakepitException cannotStart(PoolConfig config, Exception cause) {
    return SnakepitException.builder(ErrorKind.INVALID_REQUEST, "pool '" + config.name() + "' cannot start: "
        + cause.getMessage())
        .pool(config.name()).cause(cause).build();
  }

  /**
   * Fault injection (chaos kit): recycles the ready worker with that process id, as a recycling
   * threshold would: its replacement starts first, then it finishes its call and stops. Returns false
   * if no ready worker has that pid.
   */
  public boolean recycle(long pid) {
    return !shutdown.closing() && supervisor.recycleWorker(pid);
  }

  /** Fault injection (tests, chaos kit): a failure inside the pool's control loop, as a bug would cause. */
  public void injectSupervisorFailure(RuntimeException error) {
    supervisor.injectFailure(error);
  }
}
