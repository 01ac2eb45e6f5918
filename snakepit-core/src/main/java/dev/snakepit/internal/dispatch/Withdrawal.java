package dev.snakepit.internal.dispatch;

import java.util.List;

/**
 * What withdrawing a worker from service leaves to do once the dispatcher's lock is let go: fail the
 * calls that waited for that worker alone, and report the sessions it held.
 *
 * @param slot the withdrawn worker
 * @param stranded the calls of strict sessions that were waiting for it
 * @param sessionsEnded whether it held sessions, reported now for the first time
 */
record Withdrawal(WorkerSlot slot, List<PendingCall> stranded, boolean sessionsEnded) {
  private static final Withdrawal NOTHING = new Withdrawal(null, List.of(), false);

  static Withdrawal of(WorkerSlot slot, List<PendingCall> stranded, boolean sessionsEnded) {
    return stranded.isEmpty() && !sessionsEnded ? NOTHING : new Withdrawal(slot, stranded, sessionsEnded);
  }

  /** Does it, without the lock; {@code why} says what became of the worker ("died", "is stopping"). */
  void settle(String why, CallCompletion completion, CallFailures failures, SessionPlacement sessions) {
    for (PendingCall call : stranded) {
      completion.failCheckout(call, failures.stranded(call, why));
    }
    if (sessionsEnded) {
      sessions.report(slot, why);
    }
  }
}
