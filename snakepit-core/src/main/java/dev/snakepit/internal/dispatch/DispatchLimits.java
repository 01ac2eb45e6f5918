package dev.snakepit.internal.dispatch;

import dev.snakepit.HostFunction;
import java.time.Duration;
import java.util.Map;

/**
 * The limits the dispatcher enforces, the host functions Python may call, and how many calls may wait
 * on a busy worker's socket ({@code pipelineDepth}, 0 for none).
 */
public record DispatchLimits(Duration acquireTimeout, int maxQueue, Duration callTimeout, Duration cancelGrace, int maxSessionsPerWorker,
    Map<String, HostFunction> hostFunctions, int maxHostCallDepth, int pipelineDepth) {
  /** Limits without host functions or pipelining. */
  public DispatchLimits(Duration acquireTimeout, int maxQueue, Duration callTimeout, Duration cancelGrace, int maxSessionsPerWorker) {
    this(acquireTimeout, maxQueue, callTimeout, cancelGrace, maxSessionsPerWorker, Map.of(), 16, 0);
  }

  /** These limits with {@code depth} calls written ahead to a busy worker. */
  public DispatchLimits withPipelineDepth(int depth) {
    return new DispatchLimits(acquireTimeout, maxQueue, callTimeout, cancelGrace, maxSessionsPerWorker, hostFunctions, maxHostCallDepth,
        depth);
  }
}
