package dev.snakepit.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.ErrorKind;
import dev.snakepit.PythonError;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every call failure names the pool, the tool and the worker, and ends with the pool's counts where they explain it. */
class CallFailuresTest {
  private final CallFailures failures = new CallFailures("p", () -> "size=1 idle=0 busy=1 queued=2");
  private final WorkerSlot w1 = CheckoutTest.slot("w1");
  private final PendingCall call = new PendingCall(7, "predict", null, Duration.ofMillis(250), false, 0);

  @Test
  void refusalsSayWhyAndCarryThePoolsCounts() {
    assertThat(failures.refused(call, Checkout.Admission.CLOSED, 5))
        .hasMessage("pool 'p' is closed [size=1 idle=0 busy=1 queued=2]")
        .satisfies(e -> assertThat(e.kind()).isEqualTo(ErrorKind.POOL_CLOSED));
    assertThat(failures.refused(call, Checkout.Admission.QUEUE_FULL, 5))
        .hasMessage("the wait queue of pool 'p' is full (maxQueue 5) [size=1 idle=0 busy=1 queued=2]")
        .satisfies(e -> assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED));
    assertThat(failures.refused(call, Checkout.Admission.NO_WAITING, 5))
        .hasMessage("no worker of pool 'p' is free and acquireTimeout is 0 [size=1 idle=0 busy=1 queued=2]");
    assertThat(failures.waitedTooLong(call, Duration.ofMillis(200), true).getMessage())
        .contains("every busy worker waits for a host function");
    assertThat(failures.waitedTooLong(call, Duration.ofMillis(200), false))
        .hasMessage("no worker of pool 'p' became free within 200 ms for the call of tool 'predict' [size=1 idle=0 busy=1 queued=2]")
        .satisfies(e -> assertThat(e.tool()).hasValue("predict"))
        .satisfies(e -> assertThat(e.pool()).hasValue("p"))
        .satisfies(e -> assertThat(e.workerId()).isEmpty());
  }

  @Test
  void anAdmittedCallIsNoRefusal() {
    assertThatThrownBy(() -> failures.refused(call, Checkout.Admission.WAIT, 5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aCancelSaysWhereTheCallWas() {
    assertThat(failures.cancelledWhileWaiting(call, "its future was cancelled"))
        .hasMessage("call of tool 'predict' was cancelled (its future was cancelled) while waiting for a worker of pool 'p'"
            + " [size=1 idle=0 busy=1 queued=2]");
    assertThat(failures.cancelledWhileRunning(w1, call, "interrupted"))
        .hasMessage("call of tool 'predict' on worker w1 of pool 'p' was cancelled (interrupted); the worker was told to stop"
            + " it [size=1 idle=0 busy=1 queued=2]")
        .satisfies(e -> assertThat(e.workerId()).hasValue("w1"));
  }

  @Test
  void aTimeoutSaysHowTheCallEnded() {
    call.timedOut = failures.timedOut(w1, call);
    assertThat(call.timedOut).isEqualTo("call of tool 'predict' timed out after 250 ms on worker w1 of pool 'p'");

    assertThat(failures.answeredPastDeadline(w1, call, null)).hasMessage(call.timedOut
        + "; it finished after its deadline and its result was discarded\n[size=1 idle=0 busy=1 queued=2]");
    PythonError stack = new PythonError("CallCancelled", "snakepit", "timeout", List.of(),
        "  File \"tools.py\", line 7, in sleep\n", null, null, false);
    SnakepitException cancelled = SnakepitException.builder(ErrorKind.CANCELLED, "cancelled").pythonError(stack).build();
    assertThat(failures.answeredPastDeadline(w1, call, cancelled))
        .hasMessage(call.timedOut + "; it stopped when cancelled, in:\n  File \"tools.py\", line 7, in sleep\n"
            + "[size=1 idle=0 busy=1 queued=2]")
        .satisfies(e -> assertThat(e.pythonError()).containsSame(stack));
    assertThat(failures.timedOutBeforeReceived(w1, call))
        .hasMessage(call.timedOut + "; its worker failed before it received the call");
  }

  @Test
  void aTimedOutCallWhoseWorkerWasKilledCarriesTheDeath() {
    call.timedOut = failures.timedOut(w1, call);
    WorkerExit exit = new WorkerExit(42, -1, "SIGKILL", "", WorkerExit.Cause.KILLED_BY_POOL, WorkerExit.PoolReason.DEADLINE);
    SnakepitException lost = SnakepitException.builder(ErrorKind.WORKER_CRASHED, "worker w1 was killed").workerExit(exit).build();

    SnakepitException error = failures.killedPastDeadline(w1, call, Duration.ofSeconds(1), lost);

    assertThat(error.kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(error).hasMessage(call.timedOut + "; it did not stop within the cancel grace of 1000 ms, so the worker was"
        + " killed: worker w1 was killed");
    assertThat(error.workerExit()).containsSame(exit);
  }

  @Test
  void reasonsForKillingAWorkerNameTheRequest() {
    call.requestId = 3;
    assertThat(CallFailures.overranCancel(call, Duration.ofSeconds(1)))
        .isEqualTo("call of tool 'predict' (request 3) was still running 1000 ms after it was cancelled");
    assertThat(CallFailures.strayReply(9)).isEqualTo("worker answered request 9, which it was not running");
  }
}
