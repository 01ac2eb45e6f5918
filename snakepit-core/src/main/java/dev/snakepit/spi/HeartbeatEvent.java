package dev.snakepit.spi;

import java.time.Duration;

/**
 * A heartbeat of a worker that reported how quickly the JVM answered its previous beat.
 *
 * @param pool the pool's name
 * @param workerId the worker, such as {@code w3}
 * @param sequence the number of the beat that carried the report
 * @param roundTrip the time from the worker writing its previous beat to it reading the JVM's
 *     acknowledgement, as the worker measured it
 */
public record HeartbeatEvent(String pool, String workerId, long sequence, Duration roundTrip) {}
