package dev.snakepit.internal.dispatch;

import dev.snakepit.ErrorKind;
import dev.snakepit.PythonError;
import dev.snakepit.SnakepitException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Every error a call can end with, short of the worker's death (see {@code supervisor.Failures}) and
 * the Python exception itself (see {@code PythonErrors}): refusals, cancels, timeouts and unreadable
 * replies. Each message names the pool, the tool and the worker, and, where the pool's state explains
 * the failure, ends with its counts, so that nobody has to guess why a call did not run.
 */
final class CallFailures {
  private final String pool;
  private final Supplier<String> counts;

  /** Failures of pool {@code pool}, whose counts at the moment of failure {@code counts} describes. */
  CallFailures(String pool, Supplier<String> counts) {
    this.pool = pool;
    this.counts = counts;
  }

  /** A new call that gets no worker, for the reason {@code admission} gives. */
  SnakepitException refused(PendingCall call, Checkout.Admission admission, int maxQueue) {
    return switch (admission) {
      case CLOSED -> checkout(call, ErrorKind.POOL_CLOSED, "pool '" + pool + "' is closed");
      case QUEUE_FULL -> checkout(call, ErrorKind.RESOURCE_EXHAUSTED,
          "the wait queue of pool '" + pool + "' is full (maxQueue " + maxQueue + ")");
      case NO_WAITING -> checkout(call, ErrorKind.RESOURCE_EXHAUSTED,
          "no worker of pool '" + pool + "' is free and acquireTimeout is 0");
      case WORKER_GONE -> stranded(call, "it gets no more calls");
      case WORKER, WAIT -> throw new IllegalArgumentException("a call admitted with " + admission + " is not refused");
    };
  }

  /**
   * A call of a strict session whose worker gets no more calls ({@code why}: it died, or is stopping)
   * before the call reached it; the call did not run.
   */
  SnakepitException stranded(PendingCall call, String why) {
    WorkerSlot slot = call.target.slot();
    return SnakepitException.builder(ErrorKind.SESSION_LOST, "session " + call.target.session() + " of pool '" + pool
        + "' is lost: its worker " + slot.id + " " + why + "; the call of '" + call.tool + "' did not run [" + counts.get() + "]")
        .pool(pool).worker(slot.id).tool(call.tool).build();
  }

  SnakepitException cancelledWhileWaiting(PendingCall call, String why) {
    return checkout(call, ErrorKind.CANCELLED,
        "call of tool '" + call.tool + "' was cancelled (" + why + ") while waiting for a worker of pool '" + pool + "'");
  }

  /** With {@code hostWait}, every busy worker waits for a host function: the message says what that likely means. */
  SnakepitException waitedTooLong(PendingCall call, Duration acquireTimeout, boolean hostWait) {
    return checkout(call, ErrorKind.RESOURCE_EXHAUSTED, "no worker of pool '" + pool + "' became free within "
        + acquireTimeout.toMillis() + " ms for the call of tool '" + call.tool + "'" + (hostWait ? "; every busy worker waits"
        + " for a host function, so a function that calls the pool from a thread other than its own waits for itself"
        + " (call from the function's own thread: the call then runs nested on the worker that waits)" : ""));
  }

  SnakepitException closedWhileWaiting(PendingCall call) {
    return checkout(call, ErrorKind.POOL_CLOSED,
        "pool '" + pool + "' closed before a worker became free for the call of tool '" + call.tool + "'");
  }

  SnakepitException cancelledWhileRunning(WorkerSlot slot, PendingCall call, String why) {
    return onWorker(slot, call, ErrorKind.CANCELLED, "call of tool '" + call.tool + "' on worker " + slot.id + " of pool '"
        + pool + "' was cancelled (" + why + "); the worker was told to stop it [" + counts.get() + "]").build();
  }

  /** What a TIMEOUT says first: the call, its timeout and its worker. */
  String timedOut(WorkerSlot slot, PendingCall call) {
    return "call of tool '" + call.tool + "' timed out after " + call.timeout.toMillis() + " ms on worker " + slot.id
        + " of pool '" + pool + "'";
  }

  /** A call past its deadline whose worker was killed for overrunning the cancel grace; {@code lost} is the death's error. */
  SnakepitException killedPastDeadline(WorkerSlot slot, PendingCall call, Duration cancelGrace, SnakepitException lost) {
    return onWorker(slot, call, ErrorKind.TIMEOUT, call.timedOut + "; it did not stop within the cancel grace of "
        + cancelGrace.toMillis() + " ms, so the worker was killed: " + lost.getMessage())
        .pythonError(lost.pythonError().orElse(null)).workerExit(lost.workerExit().orElse(null)).build();
  }

  /** The reply to a call past its deadline: a TIMEOUT with the traceback of where the cancel stopped it. */
  SnakepitException answeredPastDeadline(WorkerSlot slot, PendingCall call, SnakepitException stopped) {
    String how;
    String traceback = stopped == null ? "" : stopped.pythonError().map(PythonError::traceback).orElse("").stripTrailing();
    if (stopped == null) {
      how = "; it finished after its deadline and its result was discarded";
    } else if (stopped.kind() != ErrorKind.CANCELLED) {
      how = "; it then failed: " + stopped.getMessage();
    } else if (!traceback.isEmpty()) {
      how = "; it stopped when cancelled, in:\n" + traceback;
    } else {
      how = "; it stopped when cancelled";
    }
    return onWorker(slot, call, ErrorKind.TIMEOUT, call.timedOut + how + "\n[" + counts.get() + "]")
        .pythonError(stopped == null ? null : stopped.pythonError().orElse(null)).build();
  }

  SnakepitException unreadablePastDeadline(WorkerSlot slot, PendingCall call, Exception e) {
    return onWorker(slot, call, ErrorKind.TIMEOUT, call.timedOut + "; its late reply was unreadable: " + e.getMessage()
        + " [" + counts.get() + "]").cause(e).build();
  }

  SnakepitException unreadable(WorkerSlot slot, PendingCall call, String frameKind, Exception e) {
    return onWorker(slot, call, ErrorKind.SERIALIZATION_ERROR, "cannot read the " + frameKind + " of " + context(slot, call)
        + ": " + e.getMessage()).cause(e).build();
  }

  /** Where a call ran, as its Python error names it. */
  String context(WorkerSlot slot, PendingCall call) {
    return "tool '" + call.tool + "' on worker " + slot.id + " of pool '" + pool + "'";
  }

  /** A call past its deadline whose worker failed before it received it. */
  SnakepitException timedOutBeforeReceived(WorkerSlot failed, PendingCall call) {
    return onWorker(failed, call, ErrorKind.TIMEOUT, call.timedOut + "; its worker failed before it received the call").build();
  }

  SnakepitException closedBeforeResent(WorkerSlot failed, PendingCall call) {
    return onWorker(failed, call, ErrorKind.POOL_CLOSED, "pool '" + pool + "' closed before the call of tool '" + call.tool
        + "' could be sent again after worker " + failed.id + " failed [" + counts.get() + "]").build();
  }

  SnakepitException tooLarge(WorkerSlot slot, String tool, Exception e) {
    return SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, e.getMessage()).pool(pool).worker(slot.id).tool(tool)
        .cause(e).build();
  }

  /** Why a worker that still runs a cancelled call is killed. */
  static String overranCancel(PendingCall call, Duration cancelGrace) {
    return "call of tool '" + call.tool + "' (request " + call.requestId + ") was still running " + cancelGrace.toMillis()
        + " ms after it was cancelled";
  }

  /** Why a worker that answered a call it did not have is killed. */
  static String strayReply(long requestId) {
    return "worker answered request " + requestId + ", which it was not running";
  }

  /** Why a worker whose socket failed under a call is written off. */
  static String sendFailed(Exception e) {
    return "its data connection failed while a call was sent to it (" + e.getMessage() + ")";
  }

  private SnakepitException checkout(PendingCall call, ErrorKind kind, String message) {
    return SnakepitException.builder(kind, message + " [" + counts.get() + "]").pool(pool).tool(call.tool).build();
  }

  private SnakepitException.Builder onWorker(WorkerSlot slot, PendingCall call, ErrorKind kind, String message) {
    return SnakepitException.builder(kind, message).pool(pool).worker(slot.id).tool(call.tool);
  }
}
