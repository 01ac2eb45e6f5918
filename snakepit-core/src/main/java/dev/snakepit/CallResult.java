package dev.snakepit;

import java.time.Duration;
import java.util.Objects;

/**
 * A call's result together with the worker that ran it and how long the call waited and ran, as
 * {@link Snakepit#executeDetailed(Call)} returns it: for reports, tracing and sizing a pool.
 *
 * <p>The two durations split the call's life at the moment the pool handed it to its worker, right
 * before it wrote the call's frame to that worker's socket. Both come from {@link System#nanoTime()}
 * readings the pool takes for its own bookkeeping (deadlines, listener events), not from extra ones.
 *
 * <ul>
 *   <li>{@code queued}: from the moment the pool accepted the call (its arguments checked and encoded)
 *       until that hand-over. A call that found a free worker queues for microseconds; one that waited
 *       for a worker, for as long as it waited.
 *   <li>{@code ran}: from the hand-over until the worker's reply had been read in full: sending the
 *       arguments, the tool's run in Python, and receiving the result. Decoding the result into Java
 *       values comes after it and counts in neither.
 * </ul>
 *
 * <p>A call sent again after its worker died under it ({@link Call#withRetries}) reports its last
 * attempt, the one that answered: its worker, and the times of that attempt alone.
 *
 * @param value the tool's result, as {@link Snakepit#execute(Call)} returns it; may be {@code null}
 * @param workerId the worker that ran the call, such as {@code w3}
 * @param workerPid that worker's process id
 * @param queued how long the call waited for that worker, as above
 * @param ran how long the call took on it, as above
 * @param attempts how many times the call was sent: 1, or more when it was retried
 */
public record CallResult(Object value, String workerId, long workerPid, Duration queued, Duration ran, int attempts) {
  public CallResult {
    Objects.requireNonNull(workerId, "CallResult: workerId must not be null");
    Objects.requireNonNull(queued, "CallResult: queued must not be null");
    Objects.requireNonNull(ran, "CallResult: ran must not be null");
    if (queued.isNegative() || ran.isNegative()) {
      throw new IllegalArgumentException("CallResult.queued = " + queued + ", ran = " + ran
          + " is invalid: neither may be negative");
    }
    if (attempts < 1) {
      throw new IllegalArgumentException("CallResult.attempts = " + attempts + " is invalid: it must be at least 1");
    }
  }
}
