package dev.snakepit.internal.supervisor;

import java.util.EnumSet;
import java.util.Set;

/**
 * A worker's lifecycle. Only the pool's control loop changes it, and only along {@link #next()}:
 *
 * <pre>
 *   STARTING --> READY --> STOPPING --> DEAD
 *       |          |                     ^
 *       +----------+---------------------+   (the process died on its own)
 *       +--> STOPPING                        (start failed or timed out: killed)
 * </pre>
 */
public enum WorkerState {
  /** Spawned; importing the adapter, connecting, handshaking. */
  STARTING,
  /** Handshake done; serving calls. */
  READY,
  /** The pool asked it to stop, or killed it; its exit is awaited. */
  STOPPING,
  /** The process has exited and everything of it is released. */
  DEAD;

  /** The states this one may change to. */
  public Set<WorkerState> next() {
    return switch (this) {
      case STARTING -> EnumSet.of(READY, STOPPING, DEAD);
      case READY -> EnumSet.of(STOPPING, DEAD);
      case STOPPING -> EnumSet.of(DEAD);
      case DEAD -> EnumSet.noneOf(WorkerState.class);
    };
  }

  /** Whether the change to {@code target} is allowed. */
  public boolean canMoveTo(WorkerState target) {
    return next().contains(target);
  }
}
