package dev.snakepit;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a pool's counts. Worker counts describe the moment of the call; call and worker
 * counters are totals since the pool started and never decrease.
 *
 * @param pool the pool's name
 * @param state the pool's lifecycle state
 * @param targetSize the number of workers the pool keeps
 * @param workers worker processes alive (starting, ready or stopping)
 * @param idle ready workers without a call
 * @param busy workers running a call (or finishing a call whose caller has given up)
 * @param starting workers started but not yet ready
 * @param queued calls waiting for a worker
 * @param callsSucceeded calls that returned a value
 * @param callsFailed call attempts that ended with an exception, including attempts that were then retried
 * @param callsRetried attempts sent again after their worker died under them (see {@link Call#withRetries})
 * @param workersStarted workers that became ready, replacements included
 * @param workersCrashed workers that died without being asked to
 * @param workersReplaced workers started to replace ones that died
 * @param uptime time since the pool started
 * @param crashLooping whether workers crash so often that replacements are held back (see
 *     {@link PoolConfig.Builder#crashLoop})
 * @param recycles workers recycled on purpose, by reason (every reason is present)
 * @param limits how the workers' resource limits are enforced, such as {@code "cgroup v1 (...)"}, or
 *     {@code "none"}
 * @param sessions sessions the ready workers hold, or are opening (see {@link Snakepit#openSession})
 * @param streams streamed calls running now (see {@link Snakepit#stream})
 * @param streamItems items of streamed calls that have arrived from workers
 */
public record PoolStats(
    String pool,
    State state,
    int targetSize,
    int workers,
    int idle,
    int busy,
    int starting,
    int queued,
    long callsSucceeded,
    long callsFailed,
    long callsRetried,
    long workersStarted,
    long workersCrashed,
    long workersReplaced,
    Duration uptime,
    boolean crashLooping,
    Map<RecycleReason, Long> recycles,
    String limits,
    int sessions,
    int streams,
    long streamItems) {

  /** Copies {@code recycles}, filling in every reason that is missing with 0. */
  public PoolStats {
    Map<RecycleReason, Long> all = new EnumMap<>(RecycleReason.class);
    for (RecycleReason reason : RecycleReason.values()) {
      all.put(reason, recycles == null ? 0L : recycles.getOrDefault(reason, 0L));
    }
    recycles = Collections.unmodifiableMap(all);
    limits = limits == null ? "none" : limits;
  }

  /** Counts of a pool without sessions or streams. */
  public PoolStats(String pool, State state, int targetSize, int workers, int idle, int busy, int starting, int queued,
      long callsSucceeded, long callsFailed, long callsRetried, long workersStarted, long workersCrashed, long workersReplaced,
      Duration uptime, boolean crashLooping, Map<RecycleReason, Long> recycles, String limits) {
    this(pool, state, targetSize, workers, idle, busy, starting, queued, callsSucceeded, callsFailed, callsRetried, workersStarted,
        workersCrashed, workersReplaced, uptime, crashLooping, recycles, limits, 0, 0, 0);
  }

  /** Workers recycled on purpose, all reasons together. */
  public long workersRecycled() {
    return recycles.values().stream().mapToLong(Long::longValue).sum();
  }

  /** A pool's lifecycle. */
  public enum State {
    /** Workers are starting; {@code Snakepit.start} has not returned yet. */
    STARTING,
    /** Serving calls. */
    RUNNING,
    /** {@code close()} was called: new calls are refused, running ones finish. */
    CLOSING,
    /** Every worker has stopped. */
    CLOSED
  }

  /** Whether the pool serves as it should: running, not crash-looping, with at least one ready worker. */
  public boolean healthy() {
    return state == State.RUNNING && !crashLooping && idle + busy > 0;
  }

  /** The counts as one line, the form used in error messages. */
  public String describe() {
    return "total=" + workers + ", busy=" + busy + ", idle=" + idle + ", starting=" + starting
        + ", queued=" + queued + ", target=" + targetSize + (sessions > 0 ? ", sessions=" + sessions : "")
        + (streams > 0 ? ", streams=" + streams : "") + (crashLooping ? ", crash-looping" : "");
  }
}
