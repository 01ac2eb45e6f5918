package dev.snakepit.micrometer;

import dev.snakepit.PoolStats;
import dev.snakepit.RecycleReason;
import dev.snakepit.Snakepit;
import dev.snakepit.WorkerInfo;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one pool, for any Micrometer registry (Prometheus, OTLP, Datadog ...). Counts and states
 * are read from the pool when the registry reads them; timers and the counts of crashes are fed by a
 * listener this binder adds to the pool. Every meter is named {@code snakepit.*} and tagged with the
 * pool's name as {@code pool}; {@code docs/operations.md} lists them with their meaning.
 *
 * <pre>{@code
 * try (Snakepit python = Snakepit.start(config);
 *     SnakepitMetrics metrics = new SnakepitMetrics(python)) {
 *   metrics.bindTo(registry);
 *   ...
 * }
 * }</pre>
 *
 * <p>A binder may be bound to several registries. {@link #close()} detaches it from the pool and removes
 * its meters from every registry it was bound to; the pool itself stays open.
 */
public final class SnakepitMetrics implements MeterBinder, AutoCloseable {
  private final Snakepit pool;
  private final Tags tags;
  private final WorkerSnapshots workers;
  /** The listeners this binder added and the meters it registered; guarded by this. */
  private final List<MetricsListener> listeners = new ArrayList<>();
  private final List<Registered> registered = new ArrayList<>();
  /** Guarded by this. */
  private boolean closed;

  private record Registered(MeterRegistry registry, Meter meter) {}

  /** Meters of {@code pool}, tagged {@code pool=<its name>}. */
  public SnakepitMetrics(Snakepit pool) {
    this(pool, Tags.empty());
  }

  /** Meters of {@code pool}, tagged {@code pool=<its name>} and with {@code extraTags} (an application or region, say). */
  public SnakepitMetrics(Snakepit pool, Iterable<Tag> extraTags) {
    this.pool = Objects.requireNonNull(pool, "SnakepitMetrics: pool must not be null");
    this.tags = Tags.of(Objects.requireNonNull(extraTags, "SnakepitMetrics: extraTags must not be null"))
        .and(MeterNames.POOL, pool.config().name());
    this.workers = new WorkerSnapshots(pool);
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "SnakepitMetrics.bindTo: registry must not be null");
    if (closed) {
      throw new IllegalStateException("SnakepitMetrics of pool '" + pool.config().name() + "' is closed; make a new one");
    }
    workerGauge(registry, "idle", PoolStats::idle);
    workerGauge(registry, "busy", PoolStats::busy);
    workerGauge(registry, "starting", PoolStats::starting);
    statsGauge(registry, MeterNames.WORKERS_TARGET, "workers the pool keeps", PoolStats::targetSize, Tags.empty());
    statsGauge(registry, MeterNames.CALLS_QUEUED, "calls waiting for a worker", PoolStats::queued, Tags.empty());
    statsGauge(registry, MeterNames.SESSIONS_OPEN, "sessions the workers hold", PoolStats::sessions, Tags.empty());
    statsGauge(registry, MeterNames.STREAMS_ACTIVE, "streamed calls running", PoolStats::streams, Tags.empty());
    statsGauge(registry, MeterNames.CRASH_LOOPING, "1 while the pool is crash-looping", s -> s.crashLooping() ? 1 : 0,
        Tags.empty());
    keep(registry, Gauge.builder(MeterNames.READY, pool, p -> p.health().ready() ? 1 : 0).tags(tags)
        .description("1 while the pool is ready to serve (its readiness), else 0").register(registry));
    keep(registry, Gauge.builder(MeterNames.GENERATION, pool, Snakepit::generation).tags(tags)
        .description("the generation of workers serving new calls, one more after each reload").register(registry));
    keep(registry, Gauge.builder(MeterNames.CRASH_RATE, pool, p -> p.health().crashRate()).tags(tags)
        .description("worker crashes per second over the last minute, which readiness is judged by").register(registry));
    statsCounter(registry, MeterNames.WORKER_STARTS, "workers that became ready, replacements included",
        PoolStats::workersStarted, Tags.empty());
    statsCounter(registry, MeterNames.CALLS_RETRIED, "call attempts sent again after their worker died under them",
        PoolStats::callsRetried, Tags.empty());
    statsCounter(registry, MeterNames.STREAM_ITEMS, "items of streamed calls that arrived from workers",
        PoolStats::streamItems, Tags.empty());
    for (RecycleReason reason : RecycleReason.values()) {
      statsCounter(registry, MeterNames.WORKER_RECYCLES, "workers recycled on purpose", s -> s.recycles().get(reason),
          Tags.of(MeterNames.REASON, reason.name().toLowerCase(Locale.ROOT)));
    }
    MetricsListener listener = new MetricsListener(registry, tags, pool, workers, this::keep);
    listeners.add(listener);
    for (WorkerInfo worker : pool.workers()) {
      listener.watchMemory(worker.id());
    }
    pool.addListener(listener);
  }

  /** Detaches the binder from the pool and removes its meters from the registries it was bound to. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (MetricsListener listener : listeners) {
      pool.removeListener(listener);
      listener.close();
    }
    for (Registered r : registered) {
      r.registry().remove(r.meter());
    }
    listeners.clear();
    registered.clear();
  }

  private void workerGauge(MeterRegistry registry, String state, ToDoubleFunction<PoolStats> count) {
    statsGauge(registry, MeterNames.WORKERS, "worker processes by state", count, Tags.of(MeterNames.STATE, state));
  }

  private void statsGauge(MeterRegistry registry, String name, String description, ToDoubleFunction<PoolStats> value,
      Tags more) {
    keep(registry, Gauge.builder(name, pool, p -> value.applyAsDouble(p.stats())).tags(tags.and(more)).description(description)
        .register(registry));
  }

  private void statsCounter(MeterRegistry registry, String name, String description, ToDoubleFunction<PoolStats> value,
      Tags more) {
    keep(registry, FunctionCounter.builder(name, pool, p -> value.applyAsDouble(p.stats())).tags(tags.and(more))
        .description(description).register(registry));
  }

  /** Remembers a meter registered, so that {@link #close()} removes it; returns it. */
  synchronized <M extends Meter> M keep(MeterRegistry registry, M meter) {
    registered.add(new Registered(registry, meter));
    return meter;
  }
}
