/**
 * The Snakepit server: runs pools from a configuration file behind HTTP (the JDK's own server), with
 * health checks, Prometheus metrics, a JSON API and a live dashboard.
 */
module dev.snakepit.server {
  requires transitive dev.snakepit;
  requires dev.snakepit.micrometer;
  requires micrometer.registry.prometheus;
  requires com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.dataformat.yaml;
  requires jdk.httpserver;
  requires org.slf4j;

  exports dev.snakepit.server;
  // The command line calls tools of a one-off pool and prints them as the server's API would.
  exports dev.snakepit.server.internal to dev.snakepit.cli;
}
