/**
 * OpenTelemetry tracing for Snakepit pools: {@link dev.snakepit.opentelemetry.SnakepitTracing} records a
 * span per call and sends its W3C trace context to the worker, so that spans made in Python join the
 * caller's trace. The core has no OpenTelemetry dependency.
 */
module dev.snakepit.opentelemetry {
  requires transitive dev.snakepit;
  requires transitive io.opentelemetry.api;
  requires io.opentelemetry.context;

  exports dev.snakepit.opentelemetry;
}
