package dev.snakepit;

import dev.snakepit.internal.Generation;
import dev.snakepit.internal.Generations;
import dev.snakepit.internal.ItemStream;
import dev.snakepit.internal.PoolAccess;
import dev.snakepit.internal.PoolCore;
import dev.snakepit.internal.StreamPublisher;
import dev.snakepit.internal.session.Sessions;
import dev.snakepit.spi.PoolListener;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.Function;

/**
 * A running pool of Python workers. Calls are routed to a free worker, wait in a bounded queue when
 * none is free, and end with the tool's result or a {@link SnakepitException}. Workers that die are
 * replaced; the pool keeps serving.
 *
 * <pre>{@code
 * try (Snakepit python = Snakepit.start(PoolConfig.builder("snakepit.examples.demo:DemoAdapter").size(4).build())) {
 *   Object sum = python.execute("add", Map.of("a", 1, "b", 2));   // 3L
 * }
 * }</pre>
 *
 * <p>Two kinds of failure, told apart by type. What the pool or Python cannot serve ends with a
 * {@link SnakepitException}, whose {@link SnakepitException#kind() kind} says what went wrong and whether
 * a retry is safe: an unknown tool or arguments that do not fit its signature, a value that cannot cross,
 * the tool's own exception, a timeout, a crashed worker, a full queue, a closed pool. {@code execute}
 * throws it; {@code executeAsync} completes its future with it. Misuse of this API fails at once, in the
 * calling thread, before any worker is involved, and {@code executeAsync} throws it rather than return a
 * future: a {@code null} argument is a {@link NullPointerException} naming the method and the argument
 * ({@code Snakepit.execute: call must not be null}), and a value that breaks a rule is an
 * {@link IllegalArgumentException} naming the value and the rule ({@code Call.timeout = PT-1S is invalid:
 * it must be positive and at most PT24H (call of tool 'add')}). {@link PoolConfig.Builder}'s setters
 * treat {@code null} as one more bad value and throw {@link IllegalArgumentException} for it too.
 *
 * <p>Thread-safe. Callers may be platform or virtual threads. A platform thread calling {@code execute}
 * reads its worker's reply itself, so that no other thread has to wake for it; a virtual thread, like
 * {@code executeAsync}, is answered by the worker's reader thread. Interrupting a caller fails its call
 * with {@link ErrorKind#CANCELLED}, cancels it in the worker, and leaves the worker serving.
 */
public final class Snakepit implements AutoCloseable {
  static {
    PoolAccess.install(pool -> pool.generations.current());
  }

  private final Generations generations;

  /** The internals of the generation serving, for fault injection in tests of this module. */
  PoolCore core() {
    return generations.current();
  }

  private Snakepit(Generations generations) {
    this.generations = generations;
  }

  /**
   * Starts {@code config.size()} workers concurrently and returns once all are ready.
   *
   * @throws SnakepitException if a worker cannot start: {@link ErrorKind#PYTHON_EXCEPTION} when the
   *     adapter fails to import, construct or {@code setup()} (with its traceback);
   *     {@link ErrorKind#INVALID_REQUEST} when the interpreter cannot be run or is too old;
   *     {@link ErrorKind#WORKER_CRASHED} when a worker dies before it is ready (with its stderr);
   *     {@link ErrorKind#TIMEOUT} after the start timeout. No process is left behind.
   */
  public static Snakepit start(PoolConfig config) {
    Objects.requireNonNull(config, "Snakepit.start: config must not be null");
    return new Snakepit(Generations.start(config));
  }

  /**
   * Calls {@code tool} with keyword arguments and waits for its result.
   *
   * @return the result converted to Java as {@code docs/protocol.md} describes ({@code Long},
   *     {@code Double}, {@code String}, {@code byte[]}, {@code List}, {@code Map} ...), or {@code null}
   * @throws SnakepitException on any failure of the call; its kind says which
   * @throws NullPointerException if {@code tool} or {@code kwargs} is null
   * @throws IllegalArgumentException if {@code tool} is blank or a key of {@code kwargs} is null
   */
  public Object execute(String tool, Map<String, ?> kwargs) {
    return execute(call("Snakepit", "execute", tool, kwargs));
  }

  /** Runs a call and waits for its result; see {@link #execute(String, Map)}. */
  public Object execute(Call call) {
    Objects.requireNonNull(call, "Snakepit.execute: call must not be null");
    // No lambda here: this is the hot path.
    Generation generation = generations.enter();
    try {
      return generation.core().execute(call);
    } finally {
      generation.exit();
    }
  }

  /**
   * Runs a call and waits for its result, with the worker that ran it and how long the call waited
   * for that worker and ran on it; {@link CallResult} says exactly what each time covers. It fails as
   * {@link #execute(Call)} does, and costs a little more: one small object per call.
   *
   * <pre>{@code
   * CallResult r = python.executeDetailed(Call.of("score").withArg("text", "good day"));
   * log.info("{} on {} (pid {}): queued {}, ran {}", r.value(), r.workerId(), r.workerPid(), r.queued(), r.ran());
   * }</pre>
   */
  public CallResult executeDetailed(Call call) {
    Objects.requireNonNull(call, "Snakepit.executeDetailed: call must not be null");
    Generation generation = generations.enter();
    try {
      return generation.core().executeDetailed(call);
    } finally {
      generation.exit();
    }
  }

  /**
   * Calls {@code tool} without blocking. The future completes with the result or a
   * {@link SnakepitException}; its dependent stages run on a virtual thread, never on a thread of the
   * pool. Cancelling the future cancels the call. Misuse is thrown at once, as by
   * {@link #execute(String, Map)}, not put in the future.
   */
  public CompletableFuture<Object> executeAsync(String tool, Map<String, ?> kwargs) {
    return executeAsync(call("Snakepit", "executeAsync", tool, kwargs));
  }

  /** Runs a call without blocking; see {@link #executeAsync(String, Map)}. */
  public CompletableFuture<Object> executeAsync(Call call) {
    Objects.requireNonNull(call, "Snakepit.executeAsync: call must not be null");
    return inGeneration(core -> core.executeAsync(call));
  }

  /** Runs a call without blocking and completes with a {@link CallResult}; see {@link #executeDetailed(Call)}. */
  public CompletableFuture<CallResult> executeDetailedAsync(Call call) {
    Objects.requireNonNull(call, "Snakepit.executeDetailedAsync: call must not be null");
    return inGeneration(core -> core.executeDetailedAsync(call));
  }

  /**
   * Calls {@code tool} once per input, and waits until every item has ended. The inputs travel in few
   * frames (up to 1,024 items per frame), spread over the workers, so that an item costs a fraction of
   * a call; see {@link BatchResult} for the results, which come in input order, and the per-item
   * errors. Each input is an item's keyword arguments.
   *
   * <pre>{@code
   * List<Map<String, ?>> inputs = List.of(Map.of("a", 1, "b", 2), Map.of("a", 3, "b", 4));
   * List<Object> sums = python.map("add", inputs).values();   // [3L, 7L]
   * }</pre>
   *
   * <p>Items run in input order on each worker, and the items on different workers concurrently.
   * Read the input maps until the batch ends; do not change them meanwhile.
   *
   * @throws SnakepitException when the batch cannot run at all: an unknown tool, a closed pool
   * @throws NullPointerException if {@code tool}, {@code inputs} or an input is null
   * @throws IllegalArgumentException if a key of an input is not a String
   */
  public BatchResult map(String tool, List<? extends Map<String, ?>> inputs) {
    return map(call("Snakepit", "map", tool, Map.of()), inputs);
  }

  /**
   * Calls {@code template}'s tool once per input, as {@link #map(String, List)} does, with the
   * template's positional and keyword arguments shared by every item (an input's own keyword
   * arguments win). The template's timeout bounds the whole batch, from this call until its last
   * item (an item not sent in time fails with {@link ErrorKind#TIMEOUT}), and its retries apply to
   * each frame of items whose worker crashed.
   *
   * <pre>{@code
   * BatchResult labels = python.map(Call.of("classify").withArg("model", "small").withTimeout(Duration.ofMinutes(1)),
   *     rows.stream().map(row -> Map.<String, Object>of("features", row)).toList());
   * }</pre>
   */
  public BatchResult map(Call template, List<? extends Map<String, ?>> inputs) {
    Objects.requireNonNull(template, "Snakepit.map: template must not be null");
    Generation generation = generations.enter();
    try {
      return generation.core().map(template, inputs, BatchResult::new);
    } finally {
      generation.exit();
    }
  }

  /**
   * Runs a batch without blocking; see {@link #map(Call, List)}. The future completes with the
   * {@link BatchResult}, or with a {@link SnakepitException} when the batch cannot run at all; its
   * dependent stages never run on a thread of the pool. Cancelling it cancels the items in flight and
   * sends no more.
   */
  public CompletableFuture<BatchResult> mapAsync(Call template, List<? extends Map<String, ?>> inputs) {
    Objects.requireNonNull(template, "Snakepit.mapAsync: template must not be null");
    return inGeneration(core -> core.mapAsync("Snakepit.mapAsync", template, inputs, BatchResult::new));
  }

  /**
   * Calls {@code tool} and returns its result as a stream of items, with the default
   * {@linkplain StreamOptions options}; see {@link CallStream}. The call starts at once; close the
   * stream when done.
   *
   * @throws SnakepitException when the call cannot be made at all (an unknown tool, arguments that
   *     cannot cross, a closed pool); failures after that come from the stream
   */
  public CallStream stream(Call call) {
    return stream(call, StreamOptions.defaults());
  }

  /** Calls {@code tool} and returns its result as a stream of items read with {@code options}; see {@link #stream(Call)}. */
  public CallStream stream(Call call, StreamOptions options) {
    Objects.requireNonNull(call, "Snakepit.stream: call must not be null");
    Objects.requireNonNull(options, "Snakepit.stream: options must not be null");
    return new CallStream(streamInGeneration(call, options));
  }

  /**
   * A call's stream of items as a {@link Flow.Publisher}: each subscription runs the call once it first
   * requests items, and the subscriber's demand paces the worker's generator. Cancelling the
   * subscription cancels the call. Signals come from a virtual thread of the subscription.
   */
  public Flow.Publisher<Object> publisher(Call call, StreamOptions options) {
    Objects.requireNonNull(call, "Snakepit.publisher: call must not be null");
    Objects.requireNonNull(options, "Snakepit.publisher: options must not be null");
    return new StreamPublisher(() -> streamInGeneration(call, options));
  }

  /**
   * Opens a session with the default options (strict affinity, 15 minutes idle timeout) and waits until
   * the adapter's {@code open_session} has run; see {@link Session}.
   *
   * @throws SnakepitException {@link ErrorKind#RESOURCE_EXHAUSTED} when every worker holds
   *     {@link PoolConfig#maxSessionsPerWorker()} sessions; {@link ErrorKind#PYTHON_EXCEPTION} when
   *     {@code open_session} raised; {@link ErrorKind#POOL_CLOSED} when the pool is closed
   */
  public Session openSession() {
    return openSession(SessionOptions.defaults());
  }

  /** Opens a session with these options; see {@link #openSession()}. */
  public Session openSession(SessionOptions options) {
    Objects.requireNonNull(options, "Snakepit.openSession: options must not be null");
    // A session stays in the generation it opened in, which drains until its sessions have closed.
    Generation generation = generations.enter();
    try {
      Sessions sessions = generation.core().sessions();
      return new Session(sessions, sessions.open(options));
    } finally {
      generation.exit();
    }
  }

  /** The tools the adapter declares, in its declaration order. */
  public List<ToolInfo> tools() {
    return generations.current().tools();
  }

  /** The tool of that name, if the adapter declares one. */
  public Optional<ToolInfo> tool(String name) {
    Objects.requireNonNull(name, "Snakepit.tool: name must not be null");
    return generations.current().tools().stream().filter(t -> t.name().equals(name)).findFirst();
  }

  /** The pool's current counts. */
  public PoolStats stats() {
    return generations.stats();
  }

  /**
   * Changes how many workers the pool keeps, 1 to {@link PoolConfig#MAX_SIZE}. Growing starts the new
   * workers at once; shrinking stops the surplus, starting and idle workers first, and lets a busy
   * worker finish its call before it stops, so no call fails. Returns once the change is under way;
   * {@link #stats()} shows the new target at once and the workers as they come and go.
   *
   * @throws IllegalArgumentException if {@code size} is out of range
   * @throws SnakepitException with {@link ErrorKind#POOL_CLOSED} if the pool is closing or closed
   */
  public void resize(int size) {
    if (size < 1 || size > PoolConfig.MAX_SIZE) {
      throw new IllegalArgumentException("Snakepit.resize: size = " + size + " is invalid: it must be between 1 and "
          + PoolConfig.MAX_SIZE);
    }
    generations.current().resize(size);
  }

  /**
   * Whether the pool is alive and ready to serve, and if not, why: the answer for liveness and
   * readiness probes (see {@link PoolHealth} for the rules). Cheap enough to call on every probe.
   */
  public PoolHealth health() {
    return generations.current().health();
  }

  /**
   * The pool's workers now, ordered by id, each with its state, uptime, resident memory (read from
   * {@code /proc} for this call, for the worker and everything it started) and last heartbeat round
   * trip. Workers that have exited are not listed.
   */
  public List<WorkerInfo> workers() {
    return generations.workers();
  }

  /**
   * Adds a listener to the running pool, after the one in its configuration: it receives the events
   * from now on (see {@link PoolListener} for the rules a listener must follow). Metrics and tracing
   * modules attach themselves this way. A listener added twice receives each event twice.
   *
   * @throws NullPointerException if {@code listener} is null
   */
  public void addListener(PoolListener listener) {
    Objects.requireNonNull(listener, "Snakepit.addListener: listener must not be null");
    generations.addListener(listener);
  }

  /**
   * Removes a listener {@linkplain #addListener added} earlier (once, if it was added more than once);
   * the listener of the pool's configuration cannot be removed. Returns whether it was there.
   */
  public boolean removeListener(PoolListener listener) {
    return listener != null && generations.removeListener(listener);
  }

  /** The configuration the pool was started with. */
  public PoolConfig config() {
    return generations.current().config();
  }

  /**
   * The process ids of the workers alive now: each the pid its tools see as {@code os.getpid()}. A
   * worker is listed from the moment its process exists (its keeper, the process the pool starts, has
   * forked it), a few milliseconds after it is launched.
   */
  public List<Long> workerPids() {
    return generations.workerPids();
  }

  /**
   * Stops the pool: refuses new calls, fails queued ones with {@link ErrorKind#POOL_CLOSED}, lets
   * running calls finish for up to {@link PoolConfig#shutdownGrace()}, asks workers to run
   * {@code teardown()} and exit, and kills what remains. Returns when every worker process is gone.
   * Calling it again does nothing.
   */
  @Override
  public void close() {
    generations.close();
  }

  /**
   * Rolls out new Python code, or any new configuration, without a failed call: starts a new generation
   * of workers from {@code config}, gates it, makes it serve every new call, and lets the generation
   * serving now finish its calls and close its sessions before it stops. Returns once the new generation
   * serves; the old one drains meanwhile ({@link Reload#previousStopped()} says when it is gone).
   *
   * <pre>{@code
   * PoolConfig v2 = PoolConfig.builder("scoring.adapter:Scorer").name("scoring").size(4)
   *     .addPythonPath(Path.of("releases/2026-12-07")).build();
   * Reload reload = python.reload(v2, ReloadOptions.defaults().withWarmUp(Call.of("score").withArg("text", "warm up")));
   * }</pre>
   *
   * <p>The gate: every new worker ready (the adapter imported, constructed and set up), the pool healthy,
   * each tool of the serving generation present unless {@link ReloadOptions#missingToolsAllowed()
   * allowed} to go, and the warm-up call, if any, answered. A generation that fails it is stopped, and
   * the serving one never stops serving: the reload is rolled back and throws.
   *
   * <p>While the old generation drains, the calls already in it (those queued included) and the calls of
   * its {@linkplain Session sessions} run there; sessions opened from now on open in the new one.
   * {@link #stats()} adds both generations up, so that its counters never go down; {@link #health()},
   * {@link #tools()} and {@link #config()} are the new generation's; {@link #workers()} lists the old
   * generation's workers as {@link WorkerInfo.State#DRAINING}. The new workers' ids tell their
   * generation: {@code g2-w1} is the first worker of generation 2. Listeners
   * {@linkplain #addListener added} to the pool receive the events of every generation.
   *
   * @throws SnakepitException when the new generation fails its gate, of the kind of its failure
   *     ({@link ErrorKind#PYTHON_EXCEPTION} for code that fails to import, with its traceback;
   *     {@link ErrorKind#INVALID_REQUEST} for missing tools), saying it was rolled back;
   *     {@link ErrorKind#POOL_CLOSED} when the pool is closed
   * @throws IllegalArgumentException if {@code config} names another pool
   * @throws IllegalStateException if another reload of the pool is under way
   */
  public Reload reload(PoolConfig config, ReloadOptions options) {
    Objects.requireNonNull(config, "Snakepit.reload: config must not be null");
    Objects.requireNonNull(options, "Snakepit.reload: options must not be null");
    return generations.reload(config, options);
  }

  /** Reloads with the default options; see {@link #reload(PoolConfig, ReloadOptions)}. */
  public Reload reload(PoolConfig config) {
    return reload(config, ReloadOptions.defaults());
  }

  /** The generation of workers serving new calls: 1 from the start, one more after each {@linkplain #reload reload}. */
  public int generation() {
    return generations.generation();
  }

  /** Runs {@code start} in the generation serving, which it leaves once the future {@code start} returns completes. */
  private <T> CompletableFuture<T> inGeneration(Function<PoolCore, CompletableFuture<T>> start) {
    Generation generation = generations.enter();
    CompletableFuture<T> future;
    try {
      future = start.apply(generation.core());
    } catch (RuntimeException | Error e) {
      generation.exit();
      throw e;
    }
    return Generations.exitWhenDone(generation, future);
  }

  /** Starts a stream in the generation serving, which it leaves once the stream's call has been answered. */
  private ItemStream streamInGeneration(Call call, StreamOptions options) {
    Generation generation = generations.enter();
    ItemStream stream;
    try {
      stream = generation.core().stream(call, options);
    } catch (RuntimeException | Error e) {
      generation.exit();
      throw e;
    }
    Generations.exitWhenDone(generation, stream.done());
    return stream;
  }

  /** A call of {@code tool} with {@code kwargs}, whose nulls are named as arguments of {@code owner.method}. */
  static Call call(String owner, String method, String tool, Map<String, ?> kwargs) {
    // Tests, not requireNonNull with a supplier: a capturing lambda on every call of the hot path.
    if (tool == null) {
      throw new NullPointerException(owner + "." + method + ": tool must not be null");
    }
    if (kwargs == null) {
      throw new NullPointerException(owner + "." + method + ": kwargs must not be null; use Map.of() for none");
    }
    return Call.of(tool, kwargs);
  }

  @Override
  public String toString() {
    return "Snakepit[" + stats().describe() + "]";
  }
}
