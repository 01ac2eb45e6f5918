package dev.snakepit.spring;

import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import dev.snakepit.spi.CallTracer;
import dev.snakepit.spi.PoolListener;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Starts the pools of {@code snakepit.pools}: the properties through the builder, then the
 * {@code PoolListener} and {@code CallTracer} beans (one of each at most, or one {@code @Primary}), then
 * the customizers; {@link Snakepit#start} returns once the workers are ready.
 */
final class SnakepitPoolFactory {
  private final SnakepitProperties properties;
  private final ObjectProvider<PoolListener> listener;
  private final ObjectProvider<CallTracer> tracer;
  private final ObjectProvider<SnakepitPoolCustomizer> customizers;

  SnakepitPoolFactory(SnakepitProperties properties, ObjectProvider<PoolListener> listener,
      ObjectProvider<CallTracer> tracer, ObjectProvider<SnakepitPoolCustomizer> customizers) {
    this.properties = properties;
    this.listener = listener;
    this.tracer = tracer;
    this.customizers = customizers;
  }

  /** Starts the pool whose properties are under {@code snakepit.pools.<key>}. */
  Snakepit start(String key) {
    PoolProperties pool = properties.pools().get(key);
    if (pool == null) {
      throw new IllegalStateException("no pool '" + key + "' under " + SnakepitProperties.PREFIX + ".pools; it has "
          + properties.pools().keySet());
    }
    PoolConfig.Builder builder = PoolConfigMapper.builder(key, pool);
    // getIfAvailable, not getIfUnique: two listener beans fail start-up saying so, rather than neither being used.
    PoolListener poolListener = listener.getIfAvailable();
    if (poolListener != null) {
      builder.listener(poolListener);
    }
    CallTracer callTracer = tracer.getIfAvailable();
    if (callTracer != null) {
      builder.tracer(callTracer);
    }
    customizers.orderedStream().forEach(customizer -> customizer.customize(key, builder));
    return Snakepit.start(PoolConfigMapper.build(key, builder));
  }
}
