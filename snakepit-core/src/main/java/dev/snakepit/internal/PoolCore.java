package dev.snakepit.internal;

import dev.snakepit.Call;
import dev.snakepit.CallResult;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolHealth;
import dev.snakepit.PoolStats;
import dev.snakepit.SnakepitException;
import dev.snakepit.ToolInfo;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.dispatch.PendingCall;
import dev.snakepit.internal.process.PythonInterpreter;
import dev.snakepit.internal.process.PythonRuntime;
import dev.snakepit.internal.process.RunDirectory;
import dev.snakepit.internal.process.RunRegistry;
import dev.snakepit.internal.process.WorkerLimits;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.ValueEncoder;
import dev.snakepit.internal.protocol.ValueEncodingException;
import dev.snakepit.internal.supervisor.Supervisor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
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
  private static final ValueEncoder ENCODER = new ValueEncoder();
  /** Extra wait beyond every timeout the pool enforces, before a blocked caller suspects a bug. */
  private static final Duration SAFETY_MARGIN = Duration.ofMinutes(1);

  private final PoolConfig config;
  private final String pool;
  private final Counters counters = new Counters();
  private final Dispatcher dispatcher;
  private final Supervisor supervisor;
  private final Ticker ticker;
  private final long startedNanos;
  private final PoolShutdown shutdown;

  private PoolCore(PoolConfig config, PythonInterpreter python, Path runtime, RunDirectory runDirectory, WorkerLimits limits,
      Ticker ticker) {
    this.config = config;
    this.ticker = ticker;
    this.startedNanos = ticker.nanoTime();
    this.pool = config.name();
    // Workers are forked from the loop's one long-lived thread, which their parent-death signal is tied to.
    Events events = new Events(pool, config.listener(), ticker);
    this.supervisor = new Supervisor(config, python, runtime, runDirectory, limits, Supervisor.newLoopExecutor(pool), ticker,
        events, counters);
    this.dispatcher = supervisor.dispatcher();
    this.shutdown = new PoolShutdown(pool, config.shutdownGrace(), supervisor, runDirectory, ticker);
    // After a bug in the control loop the pool's state cannot be trusted: close, from a thread of its own.
    supervisor.onInternalFailure(error -> Thread.ofPlatform().daemon().name("snakepit-" + pool + "-failure").start(this::close));
  }

  /** Starts a pool and waits until all its workers are ready; see {@code Snakepit.start}. */
  public static PoolCore start(PoolConfig config) {
    Path runtime;
    PythonInterpreter python;
    RunDirectory runDirectory;
    WorkerLimits limits;
    try {
      runtime = PythonRuntime.directory();
      RunRegistry.get().sweepOnce();
      python = PythonInterpreter.resolve(config.pythonExecutable(), runtime, config.startTimeout());
      runDirectory = RunDirectory.create(config.name());
    } catch (PythonInterpreter.Unusable | RuntimeException e) {
      throw cannotStart(config, e);
    }
    try {
      limits = WorkerLimits.create(config.name(), config.workerMemoryLimit(), config.workerCpuLimit());
    } catch (RuntimeException e) {
      runDirectory.close();
      throw cannotStart(config, e);
    }
    PoolCore core = new PoolCore(config, python, runtime, runDirectory, limits, Ticker.SYSTEM);
    core.awaitStart();
    LOG.info("pool '{}' started {} workers of {} on Python {} in {} ms", config.name(), config.size(),
        config.adapter(), python.version(), Duration.ofNanos(core.ticker.nanoTime() - core.startedNanos).toMillis());
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

  /** What a caller gets from the attempt that answered its call with a value. */
  @FunctionalInterface
  private interface Answer<T> {
    T of(PendingCall answered, Object value, int attempts);
  }

  /** The value alone: {@code execute} allocates nothing for it. */
  private static final Answer<Object> VALUE = (answered, value, attempts) -> value;
  /** The value with its worker and times, read from the stamps the dispatcher took anyway. */
  private static final Answer<CallResult> DETAILED = (answered, value, attempts) -> new CallResult(value,
      answered.answeredBy().id(), answered.answeredBy().pid(), Duration.ofNanos(answered.queuedNanos()),
      Duration.ofNanos(answered.ranNanos()), attempts);

  public Object execute(Call call) {
    return execute(call, VALUE);
  }

  /** See {@code Snakepit.executeDetailed}. */
  public CallResult executeDetailed(Call call) {
    return execute(call, DETAILED);
  }

  private <T> T execute(Call call, Answer<T> answer) {
    List<SnakepitException> earlier = null; // made on the first failure: most calls never need it
    while (true) {
      try {
        return executeOnce(call, answer, earlier == null ? 1 : earlier.size() + 1);
      } catch (SnakepitException e) {
        earlier = earlier == null ? new ArrayList<>() : earlier;
        if (!retrying(call, e, earlier)) {
          throw e;
        }
      }
    }
  }

  /**
   * Whether a failed attempt of {@code call} is to be sent again: only when its worker died under it and
   * the call has retries left. Records the failure in {@code earlier}, or, when it is the last one,
   * attaches the earlier ones to it.
   */
  private boolean retrying(Call call, SnakepitException failure, List<SnakepitException> earlier) {
    if (failure.kind() == ErrorKind.WORKER_CRASHED && earlier.size() < call.retries() && !shutdown.closing()) {
      earlier.add(failure);
      counters.callsRetried.increment();
      LOG.debug("pool '{}': sending the call of tool '{}' again (retry {} of {}) after: {}", pool, call.tool(),
          earlier.size(), call.retries(), failure.getMessage());
      return true;
    }
    earlier.forEach(failure::addSuppressed);
    return false;
  }

  private <T> T executeOnce(Call call, Answer<T> answer, int attempt) {
    // A platform thread reads its own reply, so that no other thread wakes for it. A virtual thread
    // waits on its future: a selector wait could hold its carrier thread.
    PendingCall pending = submit(call, !Thread.currentThread().isVirtual());
    Duration bound = config.acquireTimeout().plus(timeoutOf(call)).plus(config.cancelGrace()).plus(SAFETY_MARGIN);
    long deadline = ticker.nanoTime() + bound.toNanos();
    try {
      dispatcher.readOwnReply(pending, deadline);
      Object value = pending.future().get(Math.max(0, deadline - ticker.nanoTime()), TimeUnit.NANOSECONDS);
      return answer.of(pending, value, attempt);
    } catch (ExecutionException e) {
      throw forCaller(e.getCause());
    } catch (InterruptedException e) {
      dispatcher.cancel(pending, "the calling thread was interrupted");
      Thread.currentThread().interrupt();
      throw SnakepitException.builder(ErrorKind.CANCELLED, "the thread calling tool '" + call.tool()
          + "' of pool '" + pool + "' was interrupted; the call was cancelled")
          .pool(pool).tool(call.tool()).cause(e).build();
    } catch (TimeoutException e) {
      dispatcher.cancel(pending, "no answer within " + bound);
      throw new SnakepitException(ErrorKind.TIMEOUT, "internal error: the call of tool '" + call.tool()
          + "' got no answer within " + bound + ", beyond every timeout of pool '" + pool + "' [" + stats().describe() + "]");
    }
  }

  public CompletableFuture<Object> executeAsync(Call call) {
    return executeAsync(call, VALUE);
  }

  /** See {@code Snakepit.executeDetailedAsync}. */
  public CompletableFuture<CallResult> executeDetailedAsync(Call call) {
    return executeAsync(call, DETAILED);
  }

  private <T> CompletableFuture<T> executeAsync(Call call, Answer<T> answer) {
    CompletableFuture<T> result = new CompletableFuture<>();
    AtomicReference<PendingCall> attempt = new AtomicReference<>();
    attemptAsync(call, answer, result, attempt, new ArrayList<>());
    result.whenComplete((value, error) -> {
      PendingCall pending = attempt.get();
      if (result.isCancelled() && pending != null) {
        dispatcher.cancel(pending, "its future was cancelled");
      }
    });
    return result;
  }

  /** Sends one attempt of {@code call}; a failure that {@link #retrying} allows sends the next. */
  private <T> void attemptAsync(Call call, Answer<T> answer, CompletableFuture<T> result, AtomicReference<PendingCall> attempt,
      List<SnakepitException> earlier) {
    PendingCall pending;
    try {
      pending = submit(call, false);
    } catch (SnakepitException e) {
      earlier.forEach(e::addSuppressed);
      result.completeExceptionally(e);
      return;
    }
    attempt.set(pending);
    if (result.isCancelled()) {
      dispatcher.cancel(pending, "its future was cancelled");
      return;
    }
    // Complete on a fresh virtual thread: the caller's continuations must never run on (and block) a
    // worker's data thread or the control loop.
    pending.future().whenComplete((value, error) -> Thread.startVirtualThread(() -> {
      if (error == null) {
        result.complete(answer.of(pending, value, earlier.size() + 1));
      } else if (error instanceof SnakepitException failure && !result.isDone() && retrying(call, failure, earlier)) {
        attemptAsync(call, answer, result, attempt, earlier);
      } else {
        result.completeExceptionally(error);
      }
    }));
  }

  private PendingCall submit(Call call, boolean readsOwnReply) {
    String tool = call.tool();
    if (shutdown.closing()) {
      Throwable failure = supervisor.internalFailure();
      throw failed(SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' is closed"
          + (failure == null ? "" : " after an internal error in its control loop (" + failure + ")") + "; tool '" + tool
          + "' was not called")
          .pool(pool).tool(tool).build());
    }
    List<ToolInfo> tools = supervisor.tools();
    if (!supervisor.selfDispatching() && tools.stream().noneMatch(t -> t.name().equals(tool))) {
      throw failed(SnakepitException.builder(ErrorKind.INVALID_REQUEST, "unknown tool '" + tool + "' in pool '" + pool
          + "' (adapter " + config.adapter() + "); available: "
          + tools.stream().map(ToolInfo::name).collect(Collectors.joining(", ")))
          .pool(pool).tool(tool).build());
    }
    Map<String, Object> body = Messages.call(tool, call.args(), call.kwargs(), timeoutOf(call).toMillis());
    EncodedBody encoded;
    try {
      encoded = ENCODER.encode(body);
    } catch (ValueEncodingException e) {
      throw failed(SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, "cannot send the arguments of tool '" + tool
          + "' to pool '" + pool + "': " + e.getMessage())
          .pool(pool).tool(tool).cause(e).build());
    }
    if (encoded.frameBytes() > config.maxFrameBytes()) {
      throw failed(SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, "the call of tool '" + tool + "' encodes to "
          + encoded.frameBytes() + " bytes, above maxFrameBytes " + config.maxFrameBytes() + " of pool '" + pool
          + "'; nothing was sent (raise PoolConfig.maxFrameBytes or send less)")
          .pool(pool).tool(tool).build());
    }
    return dispatcher.submit(tool, encoded, call.timeout(), readsOwnReply);
  }

  private SnakepitException failed(SnakepitException e) {
    counters.callsFailed.increment();
    return e;
  }

  private Duration timeoutOf(Call call) {
    return call.timeout() != null ? call.timeout() : config.callTimeout();
  }

  /**
   * The exception to throw in the caller's thread. It was created on a pool thread; its stack trace is
   * replaced with the caller's, which is where a reader of the log wants to look. It belongs to this
   * call alone, so changing it is safe.
   */
  private static RuntimeException forCaller(Throwable error) {
    if (error instanceof SnakepitException s) {
      s.fillInStackTrace();
      return s;
    }
    return SnakepitException.builder(ErrorKind.WORKER_CRASHED, "internal error: " + error)
        .cause(error).build();
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
    int ready = stats.idle() + stats.busy();
    Throwable failure = supervisor.internalFailure();
    if (failure != null) {
      return new PoolHealth(false, "pool '" + pool + "' is " + stats.state() + " after an internal error in its control loop ("
          + failure + ")");
    }
    if (stats.state() != PoolStats.State.RUNNING) {
      return new PoolHealth(false, "pool '" + pool + "' is " + stats.state());
    }
    if (stats.crashLooping()) {
      return new PoolHealth(false, supervisor.crashLoopDescription() + " [" + stats.describe() + "]");
    }
    if (ready == 0) {
      return new PoolHealth(false, "no worker of pool '" + pool + "' is ready [" + stats.describe() + "]");
    }
    return new PoolHealth(true, ready + " of " + stats.targetSize() + " workers of pool '" + pool + "' are ready");
  }

  public void close() {
    shutdown.close();
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
