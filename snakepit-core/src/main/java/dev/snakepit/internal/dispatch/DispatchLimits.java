package dev.snakepit.internal.dispatch;

import dev.snakepit.HostFunction;
import java.time.Duration;
import java.util.Map;

/** The limits the dispatcher enforces, and the host functions Python may call. */
public record DispatchLimits(Duration acquireTimeout, int maxQueue, Duration callTimeout, Duration cancelGrace, int maxSessionsPerWorker,
    Map<String, HostFunction> hostFunctions, int maxHostCallDepth) {
  /** Limits without host functions. */
  public DispatchLimits(Duration acquireTimeout, int maxQueue, Duration callTimeout, Duration cancelGrace, int maxSessionsPerWorker) {
    this(acquireTimeout, maxQueue, callTimeout, cancelGrace, maxSessionsPerWorker, Map.of(), 16);
  }
}
