package dev.snakepit.internal.dispatch;

import static dev.snakepit.internal.dispatch.CheckoutTest.call;
import static dev.snakepit.internal.dispatch.CheckoutTest.slot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The workers running a call, on a fake clock: what starting a call records, and the wait for none. */
@Timeout(10)
class BusyWorkersTest {
  private final FakeClock clock = new FakeClock();
  private final TestLock locked = new TestLock();
  private final ReentrantLock lock = locked.lock;
  private final List<Long> sweeps = new ArrayList<>();
  private final BusyWorkers busy = new BusyWorkers(lock, clock,
      new DeadlineSweep(clock.executor(), clock, () -> sweeps.add(clock.nanoTime())));

  @AfterEach
  void stopClock() {
    clock.executor().shutdownNow();
  }

  @Test
  void aStartedCallNamesItsWorkerTakesTheNextRequestIdAndRunsFromNowUntilItsDeadline() {
    WorkerSlot w1 = slot("w1");
    PendingCall first = call(1);
    long start = clock.nanoTime();

    busy.start(w1, first);

    assertThat(w1.current).isSameAs(first);
    assertThat(first.slot).isSameAs(w1);
    assertThat(first.requestId).isEqualTo(1);
    assertThat(first.checkoutNanos).isEqualTo(start);
    assertThat(first.deadlineNanos).isEqualTo(start + Duration.ofSeconds(1).toNanos());
    assertThat(busy).containsExactly(w1);

    locked.run(() -> busy.release(w1));
    PendingCall second = call(2);
    busy.start(w1, second);
    assertThat(second.requestId).as("request ids are never reused on a connection").isEqualTo(2);
  }

  @Test
  void aStartedCallHasTheSweepRunByItsDeadline() {
    busy.start(slot("w1"), call(1));
    long deadline = clock.nanoTime() + Duration.ofSeconds(1).toNanos();

    clock.forward(Duration.ofSeconds(1));

    assertThat(sweeps).containsExactly(deadline);
  }

  @Test
  void aReleasedWorkerRunsNothingAndItsCallNamesNoWorker() {
    WorkerSlot w1 = slot("w1");
    PendingCall call = call(1);
    busy.start(w1, call);

    locked.run(() -> busy.release(w1));

    assertThat(w1.current).isNull();
    assertThat(call.slot).isNull();
    assertThat(busy.size()).isZero();
    assertThat(busy).isEmpty();
  }

  @Test
  void theWaitForNoneEndsWhenTheLastBusyWorkerIsReleased() throws Exception {
    WorkerSlot w1 = slot("w1");
    WorkerSlot w2 = slot("w2");
    locked.run(() -> {
      busy.start(w1, call(1));
      busy.start(w2, call(2));
    });
    TestLock.Waiter<Boolean> none = locked.startWaiter(() -> busy.awaitNone(TimeUnit.SECONDS.toNanos(30)));
    assertThat(none.done()).as("two workers are busy").isFalse();

    locked.run(() -> busy.release(w1));
    assertThat(busy.size()).isEqualTo(1);
    locked.run(() -> busy.release(w2));

    assertThat(none.result()).isTrue();
  }

  @Test
  void theWaitForNoneGivesUpWhenItsTimeIsUp() throws Exception {
    busy.start(slot("w1"), call(1));
    lock.lock();
    try {
      assertThat(busy.awaitNone(0)).isFalse();
      assertThat(busy.awaitNone(TimeUnit.MILLISECONDS.toNanos(1))).isFalse();
    } finally {
      lock.unlock();
    }
  }

  @Test
  void withNoWorkerBusyTheWaitForNoneReturnsAtOnce() throws Exception {
    lock.lock();
    try {
      assertThat(busy.awaitNone(0)).isTrue();
    } finally {
      lock.unlock();
    }
  }
}
