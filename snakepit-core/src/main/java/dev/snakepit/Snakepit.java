package dev.snakepit;

import dev.snakepit.internal.PoolAccess;
import dev.snakepit.internal.PoolCore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

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
 * <p>Thread-safe. Callers may be platform or virtual threads. A platform thread calling {@code execute}
 * reads its worker's reply itself, so that no other thread has to wake for it; a virtual thread, like
 * {@code executeAsync}, is answered by the worker's reader thread. Interrupting a caller fails its call
 * with {@link ErrorKind#CANCELLED}, cancels it in the worker, and leaves the worker serving.
 */
public final class Snakepit implements AutoCloseable {
  static {
    PoolAccess.install(pool -> pool.core);
  }

  private final PoolCore core;

  /** The pool's internals, for fault injection in tests of this module. */
  PoolCore core() {
    return core;
  }

  private Snakepit(PoolCore core) {
    this.core = core;
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
    return new Snakepit(PoolCore.start(config));
  }

  /**
   * Calls {@code tool} with keyword arguments and waits for its result.
   *
   * @return the result converted to Java as {@code docs/protocol.md} describes ({@code Long},
   *     {@code Double}, {@code String}, {@code byte[]}, {@code List}, {@code Map} ...), or {@code null}
   * @throws SnakepitException on any failure; its kind says which
   */
  public Object execute(String tool, Map<String, ?> kwargs) {
    return execute(Call.of(tool, kwargs));
  }

  /** Runs a call and waits for its result; see {@link #execute(String, Map)}. */
  public Object execute(Call call) {
    return core.execute(call);
  }

  /**
   * Calls {@code tool} without blocking. The future completes with the result or a
   * {@link SnakepitException}; its dependent stages run on a virtual thread, never on a thread of the
   * pool. Cancelling the future cancels the call.
   */
  public CompletableFuture<Object> executeAsync(String tool, Map<String, ?> kwargs) {
    return executeAsync(Call.of(tool, kwargs));
  }

  /** Runs a call without blocking; see {@link #executeAsync(String, Map)}. */
  public CompletableFuture<Object> executeAsync(Call call) {
    return core.executeAsync(call);
  }

  /** The tools the adapter declares, in its declaration order. */
  public List<ToolInfo> tools() {
    return core.tools();
  }

  /** The tool of that name, if the adapter declares one. */
  public Optional<ToolInfo> tool(String name) {
    return core.tools().stream().filter(t -> t.name().equals(name)).findFirst();
  }

  /** The pool's current counts. */
  public PoolStats stats() {
    return core.stats();
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
    core.resize(size);
  }

  /** Whether the pool serves as it should, and if not, why. */
  public PoolHealth health() {
    return core.health();
  }

  /** The configuration the pool was started with. */
  public PoolConfig config() {
    return core.config();
  }

  /** The process ids of the workers alive now. */
  public List<Long> workerPids() {
    return core.workerPids();
  }

  /**
   * Stops the pool: refuses new calls, fails queued ones with {@link ErrorKind#POOL_CLOSED}, lets
   * running calls finish for up to {@link PoolConfig#shutdownGrace()}, asks workers to run
   * {@code teardown()} and exit, and kills what remains. Returns when every worker process is gone.
   * Calling it again does nothing.
   */
  @Override
  public void close() {
    core.close();
  }

  @Override
  public String toString() {
    return "Snakepit[" + core.stats().describe() + "]";
  }
}
