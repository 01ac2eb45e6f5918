package dev.snakepit;

/**
 * A Java function that Python code may call, registered by name with
 * {@link PoolConfig.Builder#hostFunction}: a tool calls it with {@code snakepit.host.call("name", ...)}
 * and gets its result, converted as call arguments are ({@code docs/protocol.md}).
 *
 * <pre>{@code
 * PoolConfig config = PoolConfig.builder("my_models.enrich:Enricher")
 *     .hostFunction("profile", call -> users.profile((Long) call.args().get(0)))
 *     .build();
 * }</pre>
 *
 * <p>Each call runs on a virtual thread of its own. It is interrupted when the Python call it serves is
 * cancelled or passes its deadline ({@link HostCall#timeLeft()} says how long is left), so a function
 * that blocks should let an interrupt end it. What it throws reaches Python as a
 * {@code snakepit.HostError} carrying the exception's class name and message. It may call the pool
 * again: such calls run on the worker that waits for it, nested (at most
 * {@link PoolConfig#maxHostCallDepth()} deep), so even a pool of one worker cannot deadlock on itself.
 */
@FunctionalInterface
public interface HostFunction {
  /**
   * Runs one call from Python.
   *
   * @return the value Python gets: anything a call argument may be, or {@code null}
   * @throws Exception anything; Python gets it as a {@code HostError}
   */
  Object call(HostCall call) throws Exception;
}
