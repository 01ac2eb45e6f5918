package dev.snakepit.micrometer;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.HeartbeatEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.WorkerEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * The meters fed by the pool's events, for one registry: call and acquire timers, crashes by cause, the
 * heartbeat round trip, and a memory gauge for each worker while it lives. Runs on the pool's threads,
 * so it only looks meters up in maps and records.
 */
final class MetricsListener implements PoolListener {
  private static final String NONE = "none";
  private static final String UNKNOWN = "unknown";

  private final MeterRegistry registry;
  private final Tags tags;
  private final Snakepit pool;
  private final WorkerSnapshots workers;
  private final BiFunction<MeterRegistry, Meter, Meter> keep;
  private final Map<TimerKey, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> crashes = new ConcurrentHashMap<>();
  private final Map<String, Gauge> memory = new ConcurrentHashMap<>();
  private final Timer heartbeat;
  /** The adapter's tool names, of every generation up to the one they were read at; others are tagged {@code unknown}. */
  private volatile KnownTools tools = new KnownTools(0, Set.of());

  /** Tool names as the pool's generation {@code generation} (0: none read yet) and those before it had them. */
  private record KnownTools(int generation, Set<String> names) {}

  private record TimerKey(String name, String tool, String outcome, String kind) {}

  MetricsListener(MeterRegistry registry, Tags tags, Snakepit pool, WorkerSnapshots workers,
      BiFunction<MeterRegistry, Meter, Meter> keep) {
    this.registry = registry;
    this.tags = tags;
    this.pool = pool;
    this.workers = workers;
    this.keep = keep;
    this.heartbeat = (Timer) keep.apply(registry, Timer.builder(MeterNames.HEARTBEAT_ROUND_TRIP).tags(tags)
        .description("how long the JVM took to acknowledge a worker's heartbeat, as the worker measured it")
        .register(registry));
  }

  @Override
  public void checkoutStop(CallEvent event) {
    timer(MeterNames.CALLS_ACQUIRE, event.tool(), "acquired", NONE).record(event.elapsed());
  }

  @Override
  public void checkoutException(CallEvent event, SnakepitException error) {
    timer(MeterNames.CALLS_ACQUIRE, event.tool(), "error", kind(error)).record(event.elapsed());
  }

  @Override
  public void callStop(CallEvent event) {
    timer(MeterNames.CALLS, event.tool(), "success", NONE).record(event.elapsed());
  }

  @Override
  public void callException(CallEvent event, SnakepitException error) {
    timer(MeterNames.CALLS, event.tool(), "error", kind(error)).record(event.elapsed());
  }

  @Override
  public void workerStart(WorkerEvent event) {
    watchMemory(event.workerId());
  }

  @Override
  public void workerStop(WorkerEvent event) {
    unwatchMemory(event.workerId());
  }

  @Override
  public void workerCrash(WorkerEvent event) {
    unwatchMemory(event.workerId());
    WorkerExit exit = event.exit();
    String cause = exit == null ? UNKNOWN : lower(exit.cause());
    String reason = exit == null || exit.poolReason() == null ? NONE : lower(exit.poolReason());
    crashes.computeIfAbsent(cause + "/" + reason, k -> (Counter) keep.apply(registry, Counter.builder(MeterNames.WORKER_CRASHES)
        .tags(tags).tag(MeterNames.CAUSE, cause).tag(MeterNames.REASON, reason)
        .description("workers that died without being asked to").register(registry))).increment();
  }

  @Override
  public void heartbeat(HeartbeatEvent event) {
    heartbeat.record(event.roundTrip());
  }

  /** Registers the memory gauge of worker {@code id}, unless it has one. */
  void watchMemory(String id) {
    memory.computeIfAbsent(id, k -> (Gauge) keep.apply(registry, Gauge.builder(MeterNames.WORKER_MEMORY, workers,
        w -> w.residentBytes(id)).tags(tags).tag(MeterNames.WORKER, id).baseUnit("bytes")
        .description("resident memory of a worker and every process it started").register(registry)));
  }

  private void unwatchMemory(String id) {
    Gauge gauge = memory.remove(id);
    if (gauge != null) {
      registry.remove(gauge);
    }
  }

  /** Removes the per-worker gauges; the binder removes the rest. */
  void close() {
    memory.keySet().forEach(this::unwatchMemory);
  }

  private Timer timer(String name, String tool, String outcome, String kind) {
    String tag = knownTool(tool);
    return timers.computeIfAbsent(new TimerKey(name, tag, outcome, kind), k -> (Timer) keep.apply(registry, Timer.builder(name)
        .tags(tags).tag(MeterNames.TOOL, tag).tag(MeterNames.OUTCOME, outcome).tag(MeterNames.KIND, kind)
        .description(name.equals(MeterNames.CALLS) ? "calls from acceptance to answer, waiting included"
            : "how long calls waited for a worker")
        .register(registry)));
  }

  /**
   * {@code tool} if the adapter has it, or had it before a reload: a caller's typo must not become a
   * new time series. The tools are read again only when a name is not among them and a reload has
   * brought a new generation since they were read; the session hooks' names are never among them.
   */
  private String knownTool(String tool) {
    KnownTools known = tools;
    if (!known.names().contains(tool) && known.generation() != pool.generation()) {
      int generation = pool.generation();
      Set<String> names = new HashSet<>(known.names());
      pool.tools().forEach(t -> names.add(t.name()));
      known = new KnownTools(generation, Set.copyOf(names));
      tools = known;
    }
    return known.names().contains(tool) ? tool : UNKNOWN;
  }

  private static String kind(SnakepitException error) {
    return error.kind() == null ? UNKNOWN : lower(error.kind());
  }

  private static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }
}
