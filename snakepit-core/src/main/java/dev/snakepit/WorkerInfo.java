package dev.snakepit;

import java.time.Duration;

/**
 * One worker process of a pool as it is at the moment of {@link Snakepit#workers()}: for dashboards,
 * per-worker meters and operators' questions such as "which worker is growing?".
 *
 * @param id the worker's id within its pool, such as {@code w3}; a replacement gets a new one
 * @param pid the worker's process id, or 0 while a starting worker has not been forked yet
 * @param state where the worker is in its life
 * @param uptime time since the worker's process was started
 * @param residentBytes the resident memory of the worker and every process it started, in bytes, read
 *     from {@code /proc} when the snapshot was taken; 0 where it cannot be read
 * @param callsAnswered calls the worker has answered, with a value or an error
 * @param heartbeatRoundTrip how long the JVM took to acknowledge the worker's last reported heartbeat,
 *     as the worker measured it; {@code null} until its first report (the second beat)
 */
public record WorkerInfo(
    String id, long pid, State state, Duration uptime, long residentBytes, long callsAnswered, Duration heartbeatRoundTrip) {

  /** A worker's lifecycle as the pool's users see it. */
  public enum State {
    /** Started; importing the adapter, connecting, handshaking. */
    STARTING,
    /** Serving calls. */
    READY,
    /** Being recycled or removed while it holds sessions: it serves only their calls until they end. */
    DRAINING,
    /** Asked to stop, or killed; its exit is awaited. */
    STOPPING
  }
}
