package dev.snakepit.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Who gets a worker, who waits, who is refused: the checkout alone, without threads or sockets. */
class CheckoutTest {
  private final Checkout checkout = new Checkout(2, true);

  @Test
  void aNewCallTakesTheMostRecentlyFreedWorker() {
    WorkerSlot older = slot("w1");
    WorkerSlot warmer = slot("w2");
    assertThat(checkout.free(older)).isNull();
    assertThat(checkout.free(warmer)).isNull();

    assertThat(checkout.admit()).isEqualTo(Checkout.Admission.WORKER);
    assertThat(checkout.takeIdle()).isSameAs(warmer);
    assertThat(checkout.takeIdle()).isSameAs(older);
    assertThat(checkout.takeIdle()).isNull();
  }

  @Test
  void withNoWorkerFreeACallWaitsUntilTheQueueIsFull() {
    assertThat(checkout.admit()).isEqualTo(Checkout.Admission.WAIT);
    checkout.enqueue(call(1), false);
    checkout.enqueue(call(2), false);

    assertThat(checkout.admit()).isEqualTo(Checkout.Admission.QUEUE_FULL);
    assertThat(checkout.waitingCount()).isEqualTo(2);
  }

  @Test
  void withAZeroAcquireTimeoutNoCallWaits() {
    Checkout impatient = new Checkout(10, false);

    assertThat(impatient.admit()).isEqualTo(Checkout.Admission.NO_WAITING);
  }

  @Test
  void aFreedWorkerTakesTheOldestWaitingCallButOneTakenBackGoesFirst() {
    PendingCall first = call(1);
    PendingCall second = call(2);
    PendingCall resent = call(3);
    checkout.enqueue(first, false);
    checkout.enqueue(second, false);
    checkout.enqueue(resent, true);
    WorkerSlot w1 = slot("w1");

    assertThat(checkout.free(w1)).isSameAs(resent);
    assertThat(checkout.free(w1)).isSameAs(first);
    assertThat(checkout.free(w1)).isSameAs(second);
    assertThat(checkout.free(w1)).as("nothing waits: the worker is idle").isNull();
    assertThat(checkout.idleCount()).isEqualTo(1);
  }

  @Test
  void aRetiredWorkerTakesNoCallAndIsNeverIdle() {
    checkout.enqueue(call(1), false);
    WorkerSlot retired = slot("w1");
    retired.retired = true;

    assertThat(checkout.free(retired)).isNull();
    assertThat(checkout.idleCount()).isZero();
    assertThat(checkout.waitingCount()).isEqualTo(1);
  }

  @Test
  void aWithdrawnWorkerIsNoLongerOffered() {
    WorkerSlot w1 = slot("w1");
    checkout.free(w1);

    checkout.withdraw(w1);

    assertThat(checkout.admit()).isEqualTo(Checkout.Admission.WAIT);
  }

  @Test
  void aCallThatLeavesTheQueueIsNoLongerWaiting() {
    PendingCall call = call(1);
    checkout.enqueue(call, false);

    assertThat(checkout.leave(call)).isTrue();
    assertThat(checkout.leave(call)).isFalse();
    assertThat(checkout.waitingCount()).isZero();
  }

  @Test
  void closingRefusesNewCallsAndHandsBackTheWaitingOnes() {
    PendingCall first = call(1);
    PendingCall second = call(2);
    checkout.enqueue(first, false);
    checkout.enqueue(second, false);

    assertThat(checkout.close()).containsExactly(first, second);
    assertThat(checkout.admit()).isEqualTo(Checkout.Admission.CLOSED);
    assertThat(checkout.waitingCount()).isZero();
  }

  static WorkerSlot slot(String id) {
    return new WorkerSlot(id, 100, null, null);
  }

  static PendingCall call(long id) {
    return new PendingCall(id, "echo", null, Duration.ofSeconds(1), false, 0);
  }
}
