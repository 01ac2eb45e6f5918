package dev.snakepit.spi;

import java.time.Duration;

/**
 * A moment in a call's life.
 *
 * @param pool the pool's name
 * @param callId the call's id, unique within the pool, shared by all events of one call
 * @param tool the tool called
 * @param workerId the worker running the call, or {@code null} before it has one
 * @param elapsed time since the call (for {@code checkout*}: since the wait) began; zero at a start
 */
public record CallEvent(String pool, long callId, String tool, String workerId, Duration elapsed) {}
