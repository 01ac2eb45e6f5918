package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.HeartbeatEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What operators read from a running pool, against real workers: the workers one by one, heartbeat
 * round trips, listeners added and removed at run time, liveness and readiness with their reasons, and
 * the count of streamed items.
 */
@PoolTest
class OperationsTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration BEAT = Duration.ofMillis(50);

  @Test
  void workersAreListedWithTheirPidsStateMemoryCallsAndHeartbeatRoundTrip() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("ops-workers").size(2).heartbeatInterval(BEAT))) {
      for (int i = 0; i < 5; i++) {
        pool.execute("add", Map.of("a", i, "b", 1));
      }

      await().atMost(WAIT).until(() -> pool.workers().stream().allMatch(w -> w.heartbeatRoundTrip() != null));
      List<WorkerInfo> workers = pool.workers();

      assertThat(workers).extracting(WorkerInfo::id).containsExactly("w1", "w2");
      assertThat(workers).extracting(WorkerInfo::pid).containsExactlyInAnyOrderElementsOf(pool.workerPids());
      assertThat(workers).allSatisfy(w -> {
        assertThat(w.state()).isEqualTo(WorkerInfo.State.READY);
        assertThat(w.residentBytes()).as("a Python interpreter holds megabytes").isGreaterThan(1L << 20);
        assertThat(w.uptime()).isPositive();
        assertThat(w.heartbeatRoundTrip()).isPositive().isLessThan(Duration.ofSeconds(10));
      });
      assertThat(workers.stream().mapToLong(WorkerInfo::callsAnswered).sum()).isEqualTo(5);
    }
  }

  @Test
  void anAddedListenerGetsHeartbeatsAndCallsUntilItIsRemoved() {
    RecordingListener configured = new RecordingListener();
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("ops-listeners").size(1).heartbeatInterval(BEAT)
        .listener(configured))) {
      List<HeartbeatEvent> beats = new CopyOnWriteArrayList<>();
      AtomicInteger calls = new AtomicInteger();
      PoolListener added = new PoolListener() {
        @Override
        public void heartbeat(HeartbeatEvent event) {
          beats.add(event);
        }

        @Override
        public void callStop(CallEvent event) {
          calls.incrementAndGet();
        }
      };
      PoolListener throwing = new PoolListener() {
        @Override
        public void callStop(CallEvent event) {
          throw new IllegalStateException("a broken listener");
        }
      };
      pool.addListener(throwing);
      pool.addListener(added);

      pool.execute("add", Map.of("a", 1, "b", 2));
      await().atMost(WAIT).until(() -> beats.size() >= 2);

      assertThat(calls).as("the listener after a throwing one still gets the event").hasValue(1);
      HeartbeatEvent beat = beats.getFirst();
      assertThat(beat.pool()).isEqualTo("ops-listeners");
      assertThat(beat.workerId()).isEqualTo("w1");
      assertThat(beat.sequence()).isGreaterThan(1);
      assertThat(beat.roundTrip()).isPositive().isLessThan(Duration.ofSeconds(10));

      assertThat(pool.removeListener(added)).isTrue();
      assertThat(pool.removeListener(added)).as("removed already").isFalse();
      assertThat(pool.removeListener(configured)).as("the configuration's listener stays").isFalse();
      pool.execute("add", Map.of("a", 1, "b", 2));

      assertThat(calls).hasValue(1);
      assertThat(configured.ofType("callStop")).hasSize(2);
      assertThatThrownBy(() -> pool.addListener(null)).isInstanceOf(NullPointerException.class)
          .hasMessage("Snakepit.addListener: listener must not be null");
    }
  }

  @Test
  void crashesAtTheMaximumRateMakeThePoolNotReadyButStillLive() {
    // 0.02 crashes per second over the last minute: one crash (0.017) is under it, two (0.033) are not.
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("ops-crash-rate").size(2).maxCrashRate(0.02))) {
      PoolHealth fresh = pool.health();
      assertThat(fresh.live()).isTrue();
      assertThat(fresh.ready()).isTrue();
      assertThat(fresh.reasons()).isEmpty();
      assertThat(fresh.detail()).isEqualTo("2 of 2 workers of pool 'ops-crash-rate' are ready");

      crashOne(pool, 1);
      PoolHealth once = pool.health();
      assertThat(once.ready()).as(once.detail()).isTrue();
      assertThat(once.crashRate()).isEqualTo(1 / 60.0);

      crashOne(pool, 2);
      PoolHealth twice = pool.health();
      assertThat(twice.live()).isTrue();
      assertThat(twice.ready()).isFalse();
      assertThat(twice.healthy()).isFalse();
      assertThat(twice.crashRate()).isEqualTo(2 / 60.0);
      assertThat(twice.reasons()).containsExactly("workers of pool 'ops-crash-rate' crashed 0.033 times per second over"
          + " the last minute, at or above the limit of 0.02 (maxCrashRate)");
      assertThat(pool.execute("add", Map.of("a", 1, "b", 2))).as("not ready, but serving").isEqualTo(3L);

      pool.close();
      PoolHealth closed = pool.health();
      assertThat(closed.live()).isFalse();
      assertThat(closed.ready()).isFalse();
      assertThat(closed.reasons()).contains("pool 'ops-crash-rate' is CLOSED");
    }
  }

  @Test
  void itemsOfStreamedCallsAreCounted() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("ops-streams").size(1))) {
      try (CallStream stream = pool.stream(Call.of("count_bytes").withArg("n", 7).withArg("size", 3))) {
        stream.forEachRemaining(item -> {});
      }

      assertThat(pool.stats().streamItems()).isEqualTo(7);
    }
  }

  @Test
  void maxCrashRateMustBePositiveAndFinite() {
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 10_001}) {
      assertThatThrownBy(() -> PoolConfig.builder("a:B").maxCrashRate(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("PoolConfig.maxCrashRate = " + bad + " is invalid: it must be a number of crashes per second above 0"
              + " and at most 10000");
    }
    assertThat(PoolConfig.builder("a:B").build().maxCrashRate()).isEqualTo(0.1);
  }

  private static void crashOne(Snakepit pool, long crashes) {
    assertThatThrownBy(() -> pool.execute("crash", Map.of())).isInstanceOf(SnakepitException.class);
    await().atMost(WAIT).until(() -> pool.stats().workersCrashed() == crashes && pool.stats().idle() == 2);
  }
}
