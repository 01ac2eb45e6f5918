package dev.snakepit.server.internal;

import dev.snakepit.Snakepit;
import dev.snakepit.micrometer.SnakepitMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The pools a server runs and what it keeps about them: a {@link PoolWatch} each, their meters in one
 * Prometheus registry, and a ticker that closes each second's history and tells the event stream.
 * The pools themselves are owned by the caller, who closes them after this.
 */
public final class ServedPools implements AutoCloseable {
  private final Map<String, Snakepit> pools;
  private final Map<String, PoolWatch> watches = new LinkedHashMap<>();
  private final List<SnakepitMetrics> metrics = new ArrayList<>();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final EventStream events = new EventStream(this::snapshot);
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("snakepit-server-ticker").daemon().factory());
  private final long startedMillis;

  /** With {@code histograms}, the call timers publish buckets from 100 µs to 5 minutes, for percentiles in Prometheus. */
  public ServedPools(Map<String, Snakepit> pools, Clock clock, boolean histograms) {
    this.pools = new LinkedHashMap<>(pools);
    if (histograms) {
      registry.config().meterFilter(new MeterFilter() {
        @Override
        public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
          if (!id.getName().equals("snakepit.calls")) {
            return config;
          }
          return DistributionStatisticConfig.builder().percentilesHistogram(true)
              .minimumExpectedValue((double) TimeUnit.MICROSECONDS.toNanos(100))
              .maximumExpectedValue((double) TimeUnit.MINUTES.toNanos(5))
              .build().merge(config);
        }
      });
    }
    this.startedMillis = clock.millis();
    for (Map.Entry<String, Snakepit> pool : this.pools.entrySet()) {
      PoolWatch watch = new PoolWatch(clock, events::changed);
      pool.getValue().addListener(watch);
      watches.put(pool.getKey(), watch);
      SnakepitMetrics binder = new SnakepitMetrics(pool.getValue());
      binder.bindTo(registry);
      metrics.add(binder);
    }
    long delay = 1_000 - clock.millis() % 1_000; // ticks on the second, so samples line up across pools
    ticker.scheduleAtFixedRate(this::tick, delay, 1_000, TimeUnit.MILLISECONDS);
  }

  public Map<String, Snakepit> pools() {
    return pools;
  }

  PoolWatch watch(String name) {
    return watches.get(name);
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  EventStream events() {
    return events;
  }

  /** Every pool in detail: what the dashboard's event stream sends. */
  Map<String, Object> snapshot() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("time", System.currentTimeMillis());
    out.put("startedAt", startedMillis);
    List<Map<String, Object>> all = new ArrayList<>();
    pools.forEach((name, pool) -> all.add(PoolViews.detail(name, pool, watches.get(name))));
    out.put("pools", all);
    return out;
  }

  private void tick() {
    try {
      pools.forEach((name, pool) -> watches.get(name).tick(pool.stats()));
      events.changed();
    } catch (RuntimeException e) {
      // A pool closing under the ticker: the next tick sees it closed.
    }
  }

  /** Stops the ticker and the event streams, and detaches from the pools; the pools stay open. */
  @Override
  public void close() {
    ticker.shutdownNow();
    events.close();
    pools.forEach((name, pool) -> pool.removeListener(watches.get(name)));
    metrics.forEach(SnakepitMetrics::close);
    registry.close();
  }
}
