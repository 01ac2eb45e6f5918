package dev.snakepit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.PoolConfig;
import dev.snakepit.RecycleReason;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Each of the four reasons to recycle a worker, asked once, and the spread of the pool's thresholds. */
class RecyclePolicyTest {
  @Test
  void aWorkerIsDueAfterItsCallsOnce() {
    RecyclePolicy policy = RecyclePolicy.exactly(3, 0, 0, 0, 0);

    assertThat(policy.answered(false)).isNull();
    assertThat(policy.answered(true)).isNull();
    assertThat(policy.answered(false)).isEqualTo(RecycleReason.CALLS);
    assertThat(policy.answered(false)).as("asked for once").isNull();
  }

  @Test
  void aWorkerIsDueWhenTooManyOfItsLatestCallsFailedOnceTheWindowIsFull() {
    RecyclePolicy policy = RecyclePolicy.exactly(0, 0, 0, 0.5, 4);

    assertThat(policy.answered(true)).isNull();
    assertThat(policy.answered(true)).isNull();
    assertThat(policy.answered(true)).as("the window is not full yet").isNull();
    assertThat(policy.answered(false)).isEqualTo(RecycleReason.ERROR_RATE);
  }

  @Test
  void oldErrorsLeaveTheWindow() {
    RecyclePolicy policy = RecyclePolicy.exactly(0, 0, 0, 0.5, 4);
    policy.answered(true);
    policy.answered(true);
    policy.answered(false);
    assertThat(policy.answered(false)).as("2 of 4 is not above half").isNull();

    assertThat(policy.answered(false)).as("the first error left the window: 1 of 4").isNull();
    assertThat(policy.answered(true)).as("the second error left it, a new one came: 1 of 4").isNull();
    assertThat(policy.answered(true)).as("2 of 4").isNull();
    assertThat(policy.answered(true)).as("3 of 4").isEqualTo(RecycleReason.ERROR_RATE);
  }

  @Test
  void ageAndMemoryAreCheckedOnlyWhenSetAndMemoryIsReadOnlyThen() {
    AtomicInteger reads = new AtomicInteger();
    RecyclePolicy byAge = RecyclePolicy.exactly(0, Duration.ofMinutes(10).toNanos(), 0, 0, 0);
    assertThat(byAge.dueByAgeOrMemory(Duration.ofMinutes(9).toNanos(), () -> reads.incrementAndGet() * 0L)).isNull();
    assertThat(byAge.dueByAgeOrMemory(Duration.ofMinutes(10).toNanos(), reads::incrementAndGet)).isEqualTo(RecycleReason.AGE);
    assertThat(reads).as("no memory threshold, no read of /proc").hasValue(0);

    RecyclePolicy byMemory = RecyclePolicy.exactly(0, 0, 1000, 0, 0);
    assertThat(byMemory.dueByAgeOrMemory(0, () -> 1000)).isNull();
    assertThat(byMemory.dueByAgeOrMemory(0, () -> 1001)).isEqualTo(RecycleReason.MEMORY);
    assertThat(RecyclePolicy.NEVER.dueByAgeOrMemory(Long.MAX_VALUE, () -> Long.MAX_VALUE)).isNull();
  }

  @Test
  void eachWorkerGetsItsOwnSpreadOfThePoolsThresholdWithinTheJitter() {
    PoolConfig config = PoolConfig.builder("pkg.mod:Adapter").recycleAfterCalls(1000).recycleJitter(0.1).build();
    for (int i = 0; i < 200; i++) {
      RecyclePolicy policy = RecyclePolicy.of(config);
      int calls = 0;
      RecycleReason reason = null;
      while (reason == null) {
        calls++;
        reason = policy.answered(false);
      }
      assertThat(calls).isBetween(900, 1100);
    }
    assertThat(RecyclePolicy.enabled(config)).isTrue();
    assertThat(RecyclePolicy.enabled(PoolConfig.builder("pkg.mod:Adapter").build())).isFalse();
  }
}
