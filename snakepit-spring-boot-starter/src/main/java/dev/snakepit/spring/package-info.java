/**
 * Spring Boot auto-configuration for Snakepit: pools from {@code snakepit.pools.<name>.*}
 * ({@link dev.snakepit.spring.PoolProperties}), each a {@link dev.snakepit.Snakepit} bean closed with the
 * context; the health contributor {@code snakepit}; the pools' meters when {@code snakepit-micrometer} and
 * a {@code MeterRegistry} are there. The module's README.md shows the properties.
 */
package dev.snakepit.spring;
