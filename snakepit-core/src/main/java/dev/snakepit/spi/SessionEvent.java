package dev.snakepit.spi;

import java.time.Duration;

/**
 * A moment in a session's life.
 *
 * @param pool the pool's name
 * @param sessionId the session's id, 32 hex digits
 * @param workerId the worker that holds (or held) it, such as {@code w3}
 * @param age time since the session was opened
 * @param reason why it closed or was lost ({@code closed}, {@code idle}, {@code lifetime},
 *     {@code pool_closed}, or what became of its worker), or {@code null} for an open
 */
public record SessionEvent(String pool, String sessionId, String workerId, Duration age, String reason) {}
