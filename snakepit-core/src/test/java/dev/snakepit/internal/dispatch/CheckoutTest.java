package dev.snakepit.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.internal.protocol.FrameKind;
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

  @Test
  void aCallPinnedToABusyWorkerWaitsForItAloneAndGoesBeforeTheSharedQueue() {
    WorkerSlot w1 = slot("w1");
    WorkerSlot w2 = slot("w2");
    checkout.free(w2); // w2 is idle, w1 is busy
    PendingCall shared = call(1);
    checkout.enqueue(shared, false);
    PendingCall pinned = pinned(2, w1);

    assertThat(checkout.admit(w1)).as("another worker is free, but not this one").isEqualTo(Checkout.Admission.WAIT);
    checkout.enqueue(pinned, false);
    assertThat(checkout.waitingCount()).isEqualTo(2);
    assertThat(checkout.waiting()).containsExactly(shared, pinned);
    assertThat(checkout.admit(w1)).as("both waiting calls count toward the bound").isEqualTo(Checkout.Admission.QUEUE_FULL);

    assertThat(checkout.free(w1)).isSameAs(pinned);
    assertThat(checkout.free(w1)).isSameAs(shared);
    assertThat(checkout.free(w1)).isNull();
    assertThat(checkout.admit(w1)).isEqualTo(Checkout.Admission.WORKER);
    assertThat(checkout.take(Target.only("s", w1))).isSameAs(w1);
    assertThat(checkout.idleCount()).isEqualTo(1);
  }

  @Test
  void aWithdrawnWorkerHandsBackTheCallsPinnedToItAndRefusesNewOnes() {
    WorkerSlot w1 = slot("w1");
    PendingCall first = pinned(1, w1);
    PendingCall second = pinned(2, w1);
    checkout.enqueue(first, false);
    checkout.enqueue(second, false);
    assertThat(checkout.leave(second)).isTrue();
    assertThat(checkout.leave(second)).isFalse();
    checkout.enqueue(second, false);

    w1.retired = true;
    assertThat(checkout.withdraw(w1)).containsExactly(first, second);
    assertThat(checkout.waitingCount()).isZero();
    assertThat(checkout.admit(w1)).isEqualTo(Checkout.Admission.WORKER_GONE);
  }

  @Test
  void aHintCallTakesItsWorkerWhenFreeElseTheWarmestWithRoom() {
    Checkout roomy = new Checkout(2, true, slot -> slot.sessions < 1);
    WorkerSlot home = slot("w1");
    WorkerSlot full = slot("w2");
    WorkerSlot empty = slot("w3");
    full.sessions = 1;
    home.sessions = 1;
    roomy.free(empty);
    roomy.free(full);
    roomy.free(home);

    assertThat(roomy.take(Target.preferring("s", home))).isSameAs(home);
    assertThat(roomy.take(Target.preferring("s", home))).as("home is busy; w2 is warmer but full").isSameAs(empty);
    assertThat(roomy.take(Target.preferring("s", null))).as("no room anywhere: the warmest").isSameAs(full);
  }

  @Test
  void closingHandsBackPinnedCallsToo() {
    WorkerSlot w1 = slot("w1");
    PendingCall shared = call(1);
    PendingCall pinned = pinned(2, w1);
    checkout.enqueue(shared, false);
    checkout.enqueue(pinned, false);

    assertThat(checkout.close()).containsExactly(shared, pinned);
    assertThat(w1.pinned).isEmpty();
    assertThat(checkout.admit(w1)).isEqualTo(Checkout.Admission.CLOSED);
  }

  static PendingCall pinned(long id, WorkerSlot slot) {
    return new PendingCall(id, FrameKind.CALL, "echo", null, Target.only("s" + id, slot), null, Duration.ofSeconds(1), false, 0);
  }

  static WorkerSlot slot(String id) {
    return new WorkerSlot(id, 100, null, null);
  }

  static PendingCall call(long id) {
    return new PendingCall(id, "echo", null, Duration.ofSeconds(1), false, 0);
  }
}
