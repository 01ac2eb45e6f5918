package dev.snakepit.spring;

import dev.snakepit.Snakepit;
import dev.snakepit.micrometer.SnakepitMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;

/**
 * The meters of every pool, a {@link SnakepitMetrics} each, for the registries Spring Boot binds meter
 * binders to. Closing it detaches them from the pools and removes their meters; the pools stay open.
 */
final class SnakepitMeterBinder implements MeterBinder, AutoCloseable {
  private final List<SnakepitMetrics> metrics;

  SnakepitMeterBinder(List<Snakepit> pools) {
    this.metrics = pools.stream().map(SnakepitMetrics::new).toList();
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    metrics.forEach(m -> m.bindTo(registry));
  }

  @Override
  public void close() {
    metrics.forEach(SnakepitMetrics::close);
  }
}
