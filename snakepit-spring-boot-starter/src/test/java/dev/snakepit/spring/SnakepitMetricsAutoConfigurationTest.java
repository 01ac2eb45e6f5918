package dev.snakepit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.Snakepit;
import dev.snakepit.micrometer.SnakepitMetrics;
import dev.snakepit.testing.PoolTest;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The meters of pools of real workers, bound by Spring Boot's metrics auto-configuration. */
@PoolTest
class SnakepitMetricsAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(SnakepitAutoConfiguration.class, SnakepitMetricsAutoConfiguration.class));

  private final ApplicationContextRunner withRegistry = runner.withConfiguration(AutoConfigurations.of(
      MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
      CompositeMeterRegistryAutoConfiguration.class));

  @Test
  void bindsThePoolsMetersToTheRegistry() {
    withRegistry.withPropertyValues(TestPoolProperties.of("main")).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(SnakepitMeterBinder.class);
      Snakepit pool = context.getBean(Snakepit.class);
      TestPoolProperties.workersOf(pool);
      pool.execute("add", Map.of("a", 1, "b", 2));

      MeterRegistry registry = context.getBean(MeterRegistry.class);
      assertThat(registry.get("snakepit.calls").tag("pool", "main").tag("tool", "add").timer().count()).isEqualTo(1);
      assertThat(registry.get("snakepit.workers.target").tag("pool", "main").gauge().value()).isEqualTo(1);
    });
  }

  @Test
  void bindsNothingWithoutARegistry() {
    runner.withPropertyValues(TestPoolProperties.of("main")).run(context -> {
      TestPoolProperties.workersOf(context.getBean(Snakepit.class));
      assertThat(context).hasNotFailed().doesNotHaveBean(SnakepitMeterBinder.class);
    });
  }

  @Test
  void bindsNothingWithoutSnakepitMicrometer() {
    withRegistry.withClassLoader(new FilteredClassLoader(SnakepitMetrics.class)).withPropertyValues(TestPoolProperties.of("main"))
        .run(context -> {
          TestPoolProperties.workersOf(context.getBean(Snakepit.class));
          assertThat(context).hasNotFailed().hasSingleBean(MeterRegistry.class).doesNotHaveBean(SnakepitMeterBinder.class);
        });
  }
}
