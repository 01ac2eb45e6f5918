package dev.snakepit.spring;

import dev.snakepit.Snakepit;
import dev.snakepit.micrometer.SnakepitMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * The meters of every {@link Snakepit} bean ({@code snakepit.*}, tagged {@code pool}), when
 * {@code snakepit-micrometer} is on the class path and there is a {@link MeterRegistry}: Spring Boot binds
 * them to each registry, and the context's close removes them.
 */
@AutoConfiguration(after = SnakepitAutoConfiguration.class, afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({SnakepitMetrics.class, MeterRegistry.class})
@ConditionalOnBean({Snakepit.class, MeterRegistry.class})
public final class SnakepitMetricsAutoConfiguration {
  @Bean
  SnakepitMeterBinder snakepitMeterBinder(ObjectProvider<Snakepit> pools) {
    return new SnakepitMeterBinder(pools.orderedStream().toList());
  }
}
