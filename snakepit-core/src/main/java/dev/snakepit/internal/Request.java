package dev.snakepit.internal;

import dev.snakepit.internal.dispatch.Target;
import dev.snakepit.internal.protocol.FrameKind;
import java.time.Duration;
import java.util.Map;

/**
 * One thing asked of a worker and answered like a call: a CALL of a tool, or a session frame.
 *
 * @param kind the frame sent
 * @param name the tool, or the session hook, that events and messages name
 * @param body the frame's body, not yet encoded
 * @param timeout how long it may run on the worker
 * @param retries how many times it is sent again when its worker dies under it
 * @param target where it is to run; null for any worker
 */
public record Request(FrameKind kind, String name, Map<String, Object> body, Duration timeout, int retries, Target target) {}
