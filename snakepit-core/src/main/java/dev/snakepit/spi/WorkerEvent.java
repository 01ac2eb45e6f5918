package dev.snakepit.spi;

import dev.snakepit.WorkerExit;
import java.time.Duration;

/**
 * A moment in a worker's life.
 *
 * @param pool the pool's name
 * @param workerId the worker's id, such as {@code w3}
 * @param pid the worker's process id
 * @param uptime time since the process was started
 * @param reason why the worker stopped or crashed, or {@code null} for a start
 * @param exit how the process ended, or {@code null} for a start
 */
public record WorkerEvent(
    String pool, String workerId, long pid, Duration uptime, String reason, WorkerExit exit) {}
