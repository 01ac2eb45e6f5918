package dev.snakepit.micrometer;

/**
 * The names and tag keys of the meters {@link SnakepitMetrics} registers, in Micrometer's dotted form
 * (a Prometheus registry shows {@code snakepit.worker.crashes} as {@code snakepit_worker_crashes_total}).
 * They are part of the module's contract: dashboards and alerts are written against them, so a rename is
 * a deliberate change, recorded in {@code docs/operations.md}.
 */
public final class MeterNames {
  /** Gauge: worker processes, tagged {@code state} = {@code idle}, {@code busy} or {@code starting}. */
  public static final String WORKERS = "snakepit.workers";
  /** Gauge: the number of workers the pool keeps. */
  public static final String WORKERS_TARGET = "snakepit.workers.target";
  /** Gauge: calls waiting for a worker. */
  public static final String CALLS_QUEUED = "snakepit.calls.queued";
  /** Timer: calls from acceptance to answer, tagged {@code tool}, {@code outcome} and {@code kind}. */
  public static final String CALLS = "snakepit.calls";
  /** Timer: how long calls waited for a worker, tagged {@code tool}, {@code outcome} and {@code kind}. */
  public static final String CALLS_ACQUIRE = "snakepit.calls.acquire";
  /** Counter: call attempts sent again after their worker died under them. */
  public static final String CALLS_RETRIED = "snakepit.calls.retried";
  /** Counter: workers that became ready, replacements included. */
  public static final String WORKER_STARTS = "snakepit.worker.starts";
  /** Counter: workers that died without being asked to, tagged {@code cause} and {@code reason}. */
  public static final String WORKER_CRASHES = "snakepit.worker.crashes";
  /** Counter: workers recycled on purpose, tagged {@code reason}. */
  public static final String WORKER_RECYCLES = "snakepit.worker.recycles";
  /** Gauge, bytes: the resident memory of each worker's process tree, tagged {@code worker}. */
  public static final String WORKER_MEMORY = "snakepit.worker.memory";
  /** Timer: the heartbeat round trip the workers report. */
  public static final String HEARTBEAT_ROUND_TRIP = "snakepit.heartbeat.round.trip";
  /** Gauge: 1 while the pool is crash-looping, else 0. */
  public static final String CRASH_LOOPING = "snakepit.pool.crash.looping";
  /** Gauge: 1 while the pool is ready to serve, else 0. */
  public static final String READY = "snakepit.pool.ready";
  /** Gauge: the generation of workers serving new calls, 1 until the first {@code Snakepit.reload}. */
  public static final String GENERATION = "snakepit.pool.generation";
  /** Gauge: worker crashes per second over the last minute. */
  public static final String CRASH_RATE = "snakepit.pool.crash.rate";
  /** Gauge: sessions the workers hold. */
  public static final String SESSIONS_OPEN = "snakepit.sessions.open";
  /** Gauge: streamed calls running. */
  public static final String STREAMS_ACTIVE = "snakepit.streams.active";
  /** Counter: items of streamed calls that arrived from workers. */
  public static final String STREAM_ITEMS = "snakepit.stream.items";

  /** Tag: the pool's name; on every meter. */
  public static final String POOL = "pool";
  /** Tag: a worker state, on {@link #WORKERS}. */
  public static final String STATE = "state";
  /** Tag: the tool called, or {@code unknown} for a name the adapter does not have. */
  public static final String TOOL = "tool";
  /** Tag: {@code success} or {@code error} on {@link #CALLS}; {@code acquired} or {@code error} on {@link #CALLS_ACQUIRE}. */
  public static final String OUTCOME = "outcome";
  /** Tag: the error's kind in lower case ({@code timeout}, {@code worker_crashed} ...), or {@code none}. */
  public static final String KIND = "kind";
  /** Tag: how a crashed worker ended ({@code exited}, {@code signaled}, {@code out_of_memory}, {@code killed_by_pool}). */
  public static final String CAUSE = "cause";
  /** Tag: why the pool killed or recycled a worker ({@code heartbeat}, {@code deadline} ...; {@code none}). */
  public static final String REASON = "reason";
  /** Tag: a worker's id, such as {@code w3}. */
  public static final String WORKER = "worker";

  private MeterNames() {}
}
