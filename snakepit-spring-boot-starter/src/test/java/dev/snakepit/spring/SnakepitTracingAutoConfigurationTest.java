package dev.snakepit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.Snakepit;
import dev.snakepit.opentelemetry.SnakepitTracing;
import dev.snakepit.spi.CallTracer;
import dev.snakepit.testing.PoolTest;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The pools' calls traced with the application's OpenTelemetry, against real workers. */
@PoolTest
class SnakepitTracingAutoConfigurationTest {
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(SnakepitAutoConfiguration.class, SnakepitTracingAutoConfiguration.class))
      .withBean(OpenTelemetry.class, () -> OpenTelemetrySdk.builder()
          .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build());

  @Test
  void everyCallOfAPoolIsASpanOfTheApplicationsOpenTelemetry() {
    runner.withPropertyValues(TestPoolProperties.of("main")).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(CallTracer.class);
      Snakepit pool = context.getBean(Snakepit.class);
      TestPoolProperties.workersOf(pool);
      pool.execute("add", Map.of("a", 1, "b", 2));

      List<SpanData> finished = spans.getFinishedSpanItems();
      assertThat(finished).singleElement().satisfies(span -> {
        assertThat(span.getName()).isEqualTo("add");
        assertThat(span.getAttributes().get(AttributeKey.stringKey(SnakepitTracing.POOL))).isEqualTo("main");
        assertThat(span.getAttributes().get(AttributeKey.stringKey(SnakepitTracing.OUTCOME))).isEqualTo("success");
      });
    });
  }

  @Test
  void theApplicationsOwnTracerWins() {
    CallTracer own = (pool, tool) -> null; // traces nothing, as CallTracer.NONE
    runner.withBean("ownTracer", CallTracer.class, () -> own).withPropertyValues(TestPoolProperties.of("main")).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(CallTracer.class)).isSameAs(own);
      assertThat(context.getBean(Snakepit.class).config().tracer()).isSameAs(own);
      TestPoolProperties.workersOf(context.getBean(Snakepit.class));
    });
  }

  @Test
  void nothingTracesWithoutSnakepitOpenTelemetry() {
    runner.withClassLoader(new FilteredClassLoader(SnakepitTracing.class)).withPropertyValues(TestPoolProperties.of("main"))
        .run(context -> {
          assertThat(context).hasNotFailed().doesNotHaveBean(CallTracer.class);
          Snakepit pool = context.getBean(Snakepit.class);
          TestPoolProperties.workersOf(pool);
          pool.execute("add", Map.of("a", 1, "b", 2));
          assertThat(pool.config().tracer()).isSameAs(CallTracer.NONE);
          assertThat(spans.getFinishedSpanItems()).isEmpty();
        });
  }
}
