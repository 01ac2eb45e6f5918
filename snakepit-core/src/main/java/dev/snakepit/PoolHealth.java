package dev.snakepit;

/**
 * Whether a pool serves as it should, with the reason when it does not: for readiness probes and
 * dashboards.
 *
 * @param healthy whether the pool is running, not crash-looping, and has at least one ready worker
 * @param detail what is wrong, or how many workers are ready when nothing is
 */
public record PoolHealth(boolean healthy, String detail) {}
