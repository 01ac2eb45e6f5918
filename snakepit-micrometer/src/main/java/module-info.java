/**
 * Micrometer meters for Snakepit pools: {@link dev.snakepit.micrometer.SnakepitMetrics} binds a pool's
 * counts, timers and health to any {@code MeterRegistry}. The core has no Micrometer dependency.
 */
module dev.snakepit.micrometer {
  requires transitive dev.snakepit;
  requires transitive micrometer.core;

  exports dev.snakepit.micrometer;
}
