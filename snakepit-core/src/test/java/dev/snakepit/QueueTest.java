package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Waiting for a worker: the bounded queue, the acquire timeout, and what their errors say. */
@PoolTest
class QueueTest {
  private static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(2);

  /** One worker, one waiting call at most. */
  private static Snakepit pool;
  private CompletableFuture<Object> occupying;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("queue").size(1).acquireTimeout(ACQUIRE_TIMEOUT).maxQueue(1));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @BeforeEach
  void occupyTheWorker() {
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 1);
    occupying = pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
  }

  @AfterEach
  void freeTheWorker() {
    occupying.cancel(true);
  }

  @Test
  void aCallWaitingLongerThanTheAcquireTimeoutFailsWithResourceExhaustedAndThePoolsCounts() {
    long started = System.nanoTime();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ping", Map.of()));

    Duration waited = Duration.ofNanos(System.nanoTime() - started);
    assertThat(waited).isGreaterThanOrEqualTo(ACQUIRE_TIMEOUT.minusMillis(100)).isLessThan(ACQUIRE_TIMEOUT.plusSeconds(3));
    assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
    assertThat(e.retry()).isEqualTo(ErrorKind.Retry.SAFE);
    assertThat(e.tool()).contains("ping");
    assertThat(e.getMessage()).contains("pool 'queue'", "'ping'", "within 2000 ms",
        "total=1", "busy=1", "idle=0", "starting=0", "queued=0");
  }

  @Test
  void aCallFindingTheQueueFullFailsAtOnce() throws Exception {
    CompletableFuture<Object> waiting = pool.executeAsync("ping", Map.of());
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1);
    long started = System.nanoTime();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ping", Map.of()));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(ACQUIRE_TIMEOUT.dividedBy(2));
    assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("wait queue of pool 'queue' is full (maxQueue 1)",
        "total=1", "busy=1", "idle=0", "starting=0", "queued=1");
    // The call already waiting is unaffected: it is served once the worker frees up.
    occupying.cancel(true);
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void aWaitingCallRunsAsSoonAsTheWorkerFreesUp() throws Exception {
    CompletableFuture<Object> waiting = pool.executeAsync("add", Map.of("a", 1, "b", 2));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1);

    occupying.cancel(true);

    assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(3L);
  }

  @Test
  void interruptingACallerWaitingInTheQueueCancelsItsCallAndFreesItsPlace() throws Exception {
    CompletableFuture<SnakepitException> thrown = new CompletableFuture<>();
    Thread caller = Thread.ofPlatform().name("test-queued-caller").start(() -> {
      try {
        pool.execute("ping", Map.of());
        thrown.complete(null);
      } catch (SnakepitException e) {
        thrown.complete(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1);

    caller.interrupt();

    SnakepitException e = thrown.get(10, TimeUnit.SECONDS);
    caller.join(Duration.ofSeconds(10));
    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(pool.stats().queued()).isZero();
    CompletableFuture<Object> next = pool.executeAsync("add", Map.of("a", 1));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1);
    occupying.cancel(true);
    assertThat(next.get(10, TimeUnit.SECONDS)).isEqualTo(3L);
  }

  @Test
  void withAnAcquireTimeoutOfZeroABusyPoolRefusesAtOnceAndAFreeOneServes() {
    try (Snakepit impatient = TestPools.start(TestPools.testAdapter("impatient").size(1).acquireTimeout(Duration.ZERO))) {
      assertThat(impatient.execute("add", Map.of("a", 1))).isEqualTo(3L);
      CompletableFuture<Object> busy = impatient.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
      await().atMost(Duration.ofSeconds(10)).until(() -> impatient.stats().busy() == 1);

      SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> impatient.execute("ping", Map.of()));

      assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
      assertThat(e.getMessage()).contains("no worker of pool 'impatient' is free and acquireTimeout is 0",
          "total=1", "busy=1", "idle=0", "starting=0", "queued=0");
      busy.cancel(true);
    }
  }
}
