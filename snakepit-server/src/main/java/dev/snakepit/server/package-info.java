/**
 * The Snakepit server: pools from a configuration file behind HTTP, with health checks, Prometheus
 * metrics, a JSON API and a live dashboard. Start with {@link dev.snakepit.server.SnakepitServer#start}.
 */
package dev.snakepit.server;
