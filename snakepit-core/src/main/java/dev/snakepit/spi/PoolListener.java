package dev.snakepit.spi;

import dev.snakepit.SnakepitException;

/**
 * Receives a pool's events, for metrics and tracing. Every method does nothing by default, so an
 * implementation overrides only what it needs. Events come in pairs that share an id: a call's
 * {@code callStart} is followed by exactly one {@code callStop} or {@code callException}; a checkout's
 * start by exactly one stop or exception; a worker's {@code workerStart} by exactly one
 * {@code workerStop} or {@code workerCrash}; a session's {@code sessionOpen} by exactly one
 * {@code sessionClose} or {@code sessionLost}.
 *
 * <p>A pool delivers events to the listener of its {@link dev.snakepit.PoolConfig.Builder#listener
 * configuration} and to those {@linkplain dev.snakepit.Snakepit#addListener added} while it runs, in
 * that order.
 *
 * <p>Methods run on the pool's own threads, sometimes while a call is being handed to a worker, so
 * they must be quick and must not block. An exception thrown by a listener is logged and ignored.
 *
 * <p>The names follow the event taxonomy of the original design: {@code pool.checkout},
 * {@code pool.checkin}, {@code job.execute} and {@code worker.start/stop/crash}.
 */
public interface PoolListener {
  /** A listener that ignores everything. */
  PoolListener NONE = new PoolListener() {};

  /** A call began waiting for a free worker. */
  default void checkoutStart(CallEvent event) {}

  /** A call got a worker; {@link CallEvent#elapsed()} is the time it waited. */
  default void checkoutStop(CallEvent event) {}

  /** A call gave up waiting for a worker (acquire timeout, full queue, pool closed). */
  default void checkoutException(CallEvent event, SnakepitException error) {}

  /** A worker was handed back to the pool after a call. */
  default void checkin(CallEvent event) {}

  /** A call was accepted by the pool. */
  default void callStart(CallEvent event) {}

  /** A call returned a value; {@link CallEvent#elapsed()} is its total time, waiting included. */
  default void callStop(CallEvent event) {}

  /** A call ended with an exception. */
  default void callException(CallEvent event, SnakepitException error) {}

  /** A worker became ready to serve. */
  default void workerStart(WorkerEvent event) {}

  /** A worker stopped because the pool asked it to. */
  default void workerStop(WorkerEvent event) {}

  /** A worker died, or was killed because it broke the protocol or failed to start. */
  default void workerCrash(WorkerEvent event) {}

  /**
   * A worker's heartbeat reported its round trip: how long the JVM took to acknowledge its previous
   * beat. Comes every heartbeat interval from every worker, from its control-plane thread.
   */
  default void heartbeat(HeartbeatEvent event) {}

  /** A session was opened: its worker ran {@code open_session}. */
  default void sessionOpen(SessionEvent event) {}

  /** A session was closed: by its owner, by its idle timeout or maximum lifetime, or with the pool. */
  default void sessionClose(SessionEvent event) {}

  /** A session's state was lost with its worker (it died, or was stopped or recycled). */
  default void sessionLost(SessionEvent event) {}

  /**
   * A step of making the pool's virtual environment, before its workers start (only for a pool with
   * {@code requirements} or {@code pyproject}); called on the thread starting the pool.
   */
  default void environment(EnvironmentEvent event) {}
}
