package dev.snakepit.internal.dispatch;

/**
 * Where a call of a session is to run: on {@code slot} and nowhere else when {@code strict}, or
 * preferably on {@code slot} but on any free worker when that one is busy. A call without a target runs
 * on any worker.
 *
 * @param session the session's id, which messages name
 * @param slot the worker holding the session, or null for a session that holds none at the moment
 *     (only a non-strict one, whose worker died)
 * @param strict whether the call may run only on {@code slot}
 */
public record Target(String session, WorkerSlot slot, boolean strict) {
  public Target {
    if (strict && slot == null) {
      throw new IllegalArgumentException("a strict target names its worker");
    }
  }

  /** Only on {@code slot}. */
  public static Target only(String session, WorkerSlot slot) {
    return new Target(session, slot, true);
  }

  /** On {@code slot} when it is free, else on any free worker; on any worker when {@code slot} is null. */
  public static Target preferring(String session, WorkerSlot slot) {
    return new Target(session, slot, false);
  }
}
