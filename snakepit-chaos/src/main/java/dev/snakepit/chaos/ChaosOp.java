package dev.snakepit.chaos;

import java.time.Duration;

/**
 * One step of a chaos run: a call, a session's step, a stream, or a fault. {@link ChaosArbitraries} generates sequences of them and
 * {@link ChaosDriver} applies them to a pool.
 */
public sealed interface ChaosOp {
  /** Starts a call without waiting for it; its argument is {@code payloadBytes} long. */
  record Execute(int payloadBytes) implements ChaosOp {}

  /** Opens a session (strict affinity) to call in later. */
  record OpenSession() implements ChaosOp {}

  /** Starts a call without waiting for it in a random open session (a plain call when none is open). */
  record SessionCall(int payloadBytes) implements ChaosOp {}

  /** Closes a random open session. */
  record CloseSession() implements ChaosOp {}

  /**
   * Starts a stream of {@code items} items, read on a thread of its own: {@code read} of them, then closed
   * (to its end when {@code read >= items}). Skipped by a driver given no stream calls.
   */
  record StreamItems(int items, int read) implements ChaosOp {}

  /** SIGKILLs a random worker. */
  record KillWorker() implements ChaosOp {}

  /** Stops a random worker with SIGSTOP for {@code duration}, then lets it go on. */
  record FreezeWorker(Duration duration) implements ChaosOp {}

  /** Recycles a random ready worker. */
  record RecycleWorker() implements ChaosOp {}

  /** Resizes the pool. */
  record Resize(int size) implements ChaosOp {}

  /** Lets {@code duration} pass before the next step, so that what was started can unfold. */
  record Pause(Duration duration) implements ChaosOp {}

  /** Makes the data-plane proxy hold every frame for {@code delay} (zero: no more delay). */
  record ProxyDelay(Duration delay) implements ChaosOp {}

  /** Makes the data-plane proxy corrupt the next frame going {@code direction}. */
  record CorruptFrame(DataPlaneProxy.Direction direction) implements ChaosOp {}

  /** Makes the data-plane proxy cut the next frame going {@code direction} short. */
  record TruncateFrame(DataPlaneProxy.Direction direction) implements ChaosOp {}

  /** Makes the data-plane proxy drop a random worker's connection. */
  record ResetConnection() implements ChaosOp {}
}
