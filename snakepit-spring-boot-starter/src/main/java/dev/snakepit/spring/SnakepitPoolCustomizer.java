package dev.snakepit.spring;

import dev.snakepit.PoolConfig;

/**
 * Adjusts the configuration of a pool from {@code snakepit.pools.<name>} before it starts, for what
 * properties cannot say: host functions, a data-plane interceptor, a listener or tracer of its own.
 * Every customizer bean runs, in {@code @Order}, after the properties and the {@code PoolListener} and
 * {@code CallTracer} beans have been applied.
 *
 * <pre>{@code
 * @Bean
 * SnakepitPoolCustomizer profiles(UserService users) {
 *   return (name, builder) -> builder.hostFunction("profile", call -> users.profile((Long) call.args().get(0)));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface SnakepitPoolCustomizer {
  /**
   * Customizes the pool {@code name} (its key under {@code snakepit.pools}).
   *
   * @param builder the builder holding the pool's properties; the pool is built from it afterwards
   */
  void customize(String name, PoolConfig.Builder builder);
}
