package dev.snakepit.spring;

import dev.snakepit.spi.CallTracer;
import dev.snakepit.spi.PoolListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The pools of {@code snakepit.pools.<name>.*}, one {@link dev.snakepit.Snakepit} bean each (see
 * {@link PoolBeanRegistrar} for their names), started when the context starts and closed with it.
 */
@AutoConfiguration
@Import(PoolBeanRegistrar.class)
public final class SnakepitAutoConfiguration {
  @Bean
  SnakepitPoolFactory snakepitPoolFactory(SnakepitProperties snakepitProperties, ObjectProvider<PoolListener> listener,
      ObjectProvider<CallTracer> tracer, ObjectProvider<SnakepitPoolCustomizer> customizers) {
    return new SnakepitPoolFactory(snakepitProperties, listener, tracer, customizers);
  }
}
