package dev.snakepit;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * How {@link Snakepit#reload} gates and retires a generation of workers. Immutable; start from
 * {@link #defaults()} and change what you need.
 *
 * <pre>{@code
 * ReloadOptions options = ReloadOptions.defaults()
 *     .withWarmUp(Call.of("predict").withArg("text", "warm up"))
 *     .withMissingToolsAllowed("legacy_score");
 * }</pre>
 *
 * @param warmUp a call the new generation must answer without an error before it serves; null (the
 *     default) for none. It runs once, on one of the new workers; warm-up every worker needs belongs in
 *     the adapter's {@code setup()}
 * @param missingToolsAllowed tools of the serving generation the new one may lack; by default none, so
 *     that a reload never makes callers' tools disappear unnoticed
 * @param drainTimeout how long the old generation may take to finish its calls and let its sessions
 *     close before it is stopped as {@link Snakepit#close()} stops a pool (its strict sessions are lost
 *     then); 5 minutes by default, zero to one day
 */
public record ReloadOptions(Call warmUp, Set<String> missingToolsAllowed, Duration drainTimeout) {
  /** The default {@link #drainTimeout()}: 5 minutes. */
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration MAX_DRAIN_TIMEOUT = Duration.ofDays(1);

  public ReloadOptions {
    if (missingToolsAllowed == null || missingToolsAllowed.stream().anyMatch(t -> t == null || t.isBlank())) {
      throw new IllegalArgumentException("ReloadOptions.missingToolsAllowed = " + missingToolsAllowed
          + " is invalid: it must be a set of tool names, none null or blank");
    }
    missingToolsAllowed = Set.copyOf(missingToolsAllowed);
    if (drainTimeout == null || drainTimeout.isNegative() || drainTimeout.compareTo(MAX_DRAIN_TIMEOUT) > 0) {
      throw new IllegalArgumentException("ReloadOptions.drainTimeout = " + drainTimeout + " is invalid: it must be between 0 and "
          + MAX_DRAIN_TIMEOUT);
    }
  }

  /** No warm-up call, no tool allowed to go missing, a drain of at most 5 minutes. */
  public static ReloadOptions defaults() {
    return new ReloadOptions(null, Set.of(), DEFAULT_DRAIN_TIMEOUT);
  }

  /** These options with {@code call} as the warm-up call, or none for null. */
  public ReloadOptions withWarmUp(Call call) {
    return new ReloadOptions(call, missingToolsAllowed, drainTimeout);
  }

  /** These options allowing the new generation to lack {@code tools}. */
  public ReloadOptions withMissingToolsAllowed(String... tools) {
    if (tools == null) {
      throw new IllegalArgumentException("ReloadOptions.missingToolsAllowed = null is invalid: it must be a set of tool names,"
          + " none null or blank");
    }
    return new ReloadOptions(warmUp, new LinkedHashSet<>(Arrays.asList(tools)), drainTimeout);
  }

  /** These options with {@code value} as the drain timeout. */
  public ReloadOptions withDrainTimeout(Duration value) {
    return new ReloadOptions(warmUp, missingToolsAllowed, value);
  }
}
