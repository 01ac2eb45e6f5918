package dev.snakepit.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.Call;
import dev.snakepit.ErrorKind;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.testing.PoolTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The proxy relays a pool's data plane faithfully, and breaks it on command in the ways it promises. */
@PoolTest
class DataPlaneProxyTest {

  @Test
  void relaysCallsAndRepliesUnchanged() {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = ChaosPools.start(ChaosPools.builder("proxy-relay").size(2).dataPlaneInterceptor(proxy))) {
      byte[] big = new byte[300_000];
      new SplittableRandom(7).nextBytes(big);

      assertThat(pool.execute("echo", Map.of("value", "hello"))).isEqualTo("hello");
      assertThat((byte[]) pool.execute("echo", Map.of("value", big))).isEqualTo(big);

      assertThat(proxy.connectedWorkers()).hasSize(2);
      assertThat(proxy.framesRelayed()).isGreaterThanOrEqualTo(4 + 4); // two handshakes, two calls
      assertThat(proxy.faultsInjected()).isZero();
    }
  }

  @Test
  void delaysEveryFrameBothWays() {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = ChaosPools.start(ChaosPools.builder("proxy-delay").dataPlaneInterceptor(proxy))) {
      proxy.delay(Duration.ofMillis(150));
      long start = System.nanoTime();
      pool.execute("ping", Map.of());
      // The call and its reply are each held 150 ms: a lower bound, never an upper one.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));

      proxy.clear();
      assertThat(pool.execute("echo", Map.of("value", 1))).isEqualTo(1L);
    }
  }

  @Test
  void throttlesLargeFrames() {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = ChaosPools.start(ChaosPools.builder("proxy-throttle").dataPlaneInterceptor(proxy))) {
      proxy.throttle(512 * 1024);
      long start = System.nanoTime();
      pool.execute("echo", Map.of("value", new byte[256 * 1024]));
      // 256 KiB each way at 512 KiB/s: at least a second.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
    }
  }

  @Test
  void aCorruptedReplyIsAProtocolViolationAndTheWorkerIsReplaced() {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = ChaosPools.start(ChaosPools.builder("proxy-corrupt").dataPlaneInterceptor(proxy))) {
      long before = pool.workerPids().get(0);
      settle(pool);
      proxy.corruptNext(DataPlaneProxy.Direction.TO_POOL);

      SnakepitException error = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ping", Map.of()));

      assertThat(error.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(error.getMessage()).contains("violated the protocol", "reserved");
      assertThat(proxy.faultsInjected()).isEqualTo(1);
      awaitReplaced(pool, before);
      assertThat(pool.execute("echo", Map.of("value", "after"))).isEqualTo("after");
    }
  }

  @Test
  void aCorruptedCallMakesTheWorkerExitWithAProtocolError() {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = ChaosPools.start(ChaosPools.builder("proxy-corrupt-call").dataPlaneInterceptor(proxy))) {
      long before = pool.workerPids().get(0);
      settle(pool);
      proxy.corruptNext(DataPlaneProxy.Direction.TO_WORKER);

      SnakepitException error = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ping", Map.of()));

      assertThat(error.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(error.getMessage()).contains("exit code 4", "reserved header field is 65535");
      awaitReplaced(pool, before);
      assertThat(pool.execute("ping", Map.of())).isNull();
    }
  }

  @Test
  void aTruncatedFrameEndsTheConnectionAndTheCallFailsCleanly() {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = ChaosPools.start(ChaosPools.builder("proxy-truncate").dataPlaneInterceptor(proxy))) {
      for (DataPlaneProxy.Direction direction : DataPlaneProxy.Direction.values()) {
        long before = pool.workerPids().get(0);
        settle(pool);
        proxy.truncateNext(direction);

        SnakepitException error = catchThrowableOfType(SnakepitException.class,
            () -> pool.execute("echo", Map.of("value", "x".repeat(1000))));

        assertThat(error.kind()).as(direction.name()).isEqualTo(ErrorKind.WORKER_CRASHED);
        awaitReplaced(pool, before);
      }
      assertThat(proxy.faultsInjected()).isEqualTo(2);
      assertThat(pool.execute("ping", Map.of())).isNull();
    }
  }

  @Test
  void aResetFailsTheCallInFlightAndThePoolRecovers() {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = ChaosPools.start(ChaosPools.builder("proxy-reset").dataPlaneInterceptor(proxy))) {
      long before = pool.workerPids().get(0);
      var running = pool.executeAsync(Call.of("sleep").withArg("seconds", 30.0));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

      assertThat(proxy.resetRandom(new SplittableRandom(1))).isEqualTo("w1");

      SnakepitException error = ChaosPools.failure(running);
      assertThat(error.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      awaitReplaced(pool, before);
      assertThat(pool.execute("ping", Map.of())).isNull();
      assertThat(proxy.reset("no-such-worker")).isFalse();
    }
  }

  @Test
  void refusesBadSettingsWithTheRule() {
    try (DataPlaneProxy proxy = new DataPlaneProxy()) {
      assertThatThrownBy(() -> proxy.delay(Duration.ofMillis(-1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delay: PT-0.001S is invalid");
      assertThatThrownBy(() -> proxy.throttle(-5))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("throttle: -5 bytes per second is invalid");
      assertThat(proxy.resetRandom(new SplittableRandom(1))).isNull();
      assertThat(proxy.connectedWorkers()).isEqualTo(List.of());
    }
  }

  @Test
  void aClosedProxyRefusesNewWorkersAndThePoolSaysWhy() {
    DataPlaneProxy proxy = new DataPlaneProxy();
    proxy.close();
    SnakepitException error = catchThrowableOfType(SnakepitException.class,
        () -> ChaosPools.start(ChaosPools.builder("proxy-closed").dataPlaneInterceptor(proxy)).close());
    assertThat(error.getMessage()).contains("the data-plane proxy is closed");
  }

  /**
   * A call through: the worker has read the handshake's last frame (WELCOME), which may still be in the
   * proxy when the pool counts the worker ready, so that a fault ordered now hits the next call.
   */
  private static void settle(Snakepit pool) {
    assertThat(pool.execute("ping", Map.of())).isNull();
  }

  static void awaitReplaced(Snakepit pool, long before) {
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      List<Long> pids = pool.workerPids();
      return !pids.contains(before) && pool.stats().idle() == pool.stats().targetSize();
    });
  }
}
