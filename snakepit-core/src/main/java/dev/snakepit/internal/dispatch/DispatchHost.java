package dev.snakepit.internal.dispatch;

import dev.snakepit.RecycleReason;
import dev.snakepit.WorkerExit;

/** What the {@link Dispatcher} needs from the pool around it. */
public interface DispatchHost {
  /** The worker must be killed and replaced; its current call fails when its exit is handled. */
  void broken(WorkerSlot slot, String reason, WorkerExit.PoolReason poolReason);

  /**
   * Writing to the worker failed: its process is almost certainly dying, and its exit (code, signal,
   * stderr) is what should be reported; the worker is killed only if it outlives a short grace.
   */
  void lost(WorkerSlot slot, String reason);

  /** The worker reached a recycling threshold; the pool replaces it without failing any call. */
  void recycle(WorkerSlot slot, RecycleReason reason);

  /**
   * The worker will be reported broken in {@link Dispatcher#STACK_DUMP_LEAD} unless its call ends first: it
   * should write its stacks now, so that the kill need not wait for them.
   */
  default void dumpStacksAhead(WorkerSlot slot) {}

  /** The pool's counts, for error messages. */
  String counts();
}
