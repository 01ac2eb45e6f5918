package dev.snakepit.spring;

import dev.snakepit.opentelemetry.SnakepitTracing;
import dev.snakepit.spi.CallTracer;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Traces every pool's calls with the application's {@link OpenTelemetry} (Spring Boot's, or the
 * application's own bean) when {@code snakepit-opentelemetry} is on the class path: a span per call,
 * whose context the workers join. An application's own {@link CallTracer} bean wins; excluding this
 * auto-configuration ({@code spring.autoconfigure.exclude}) turns it off.
 */
@AutoConfiguration(before = SnakepitAutoConfiguration.class,
    afterName = "org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration")
@ConditionalOnClass({SnakepitTracing.class, OpenTelemetry.class})
@ConditionalOnBean(OpenTelemetry.class)
public final class SnakepitTracingAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean(CallTracer.class)
  CallTracer snakepitCallTracer(OpenTelemetry openTelemetry) {
    return SnakepitTracing.create(openTelemetry);
  }
}
