package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Pipelining (PoolConfig.pipelineDepth, docs/protocol.md section 4.2): when every worker is busy, calls
 * are written to a worker's socket behind the one it runs, and begin when it ends.
 */
@PoolTest
class PipeliningTest {

  private static Snakepit pool(String name, int depth) {
    return TestPools.start(TestPools.testAdapter(name).pipelineDepth(depth));
  }

  @Test
  void aCallIsWrittenBehindTheRunningOneOnlyWithPipelining() throws Exception {
    for (int depth : new int[] {0, 1}) {
      try (Snakepit pool = pool("ahead-" + depth, depth)) {
        CompletableFuture<Object> first = pool.executeAsync(Call.of("nap_then_pending").withArg("seconds", 0.5));
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
        CompletableFuture<Object> second = pool.executeAsync("add", Map.of("a", 1, "b", 2));
        // Written ahead or not, the second call waits for the worker, and counts as queued.
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1);

        long pending = (Long) first.get(10, TimeUnit.SECONDS);

        // With pipelining the second call's frame waited on the worker's socket while the first ran.
        if (depth == 0) {
          assertThat(pending).isZero();
        } else {
          assertThat(pending).isPositive();
        }
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(3L);
      }
    }
  }

  @Test
  void manyCallersGetTheirOwnResultsInAnyInterleaving() throws Exception {
    try (Snakepit pool = pool("ahead-load", 2)) {
      List<Thread> callers = new ArrayList<>();
      AtomicInteger wrong = new AtomicInteger();
      CompletableFuture<Throwable> failure = new CompletableFuture<>();
      for (int t = 0; t < 8; t++) {
        int base = t * 1000;
        callers.add(Thread.ofPlatform().start(() -> {
          try {
            for (int i = 0; i < 300; i++) {
              if (!Long.valueOf(base + 2L * i).equals(pool.execute("add", Map.of("a", base + i, "b", i)))) {
                wrong.incrementAndGet();
              }
            }
          } catch (Throwable e) {
            failure.complete(e);
          }
        }));
      }
      for (Thread caller : callers) {
        caller.join(30_000);
      }
      assertThat(failure.getNow(null)).isNull();
      assertThat(wrong).hasValue(0);
      assertThat(pool.stats().crashLooping()).isFalse();
    }
  }

  @Test
  void largeResultsAndLargeArgumentsMixWithCallsWrittenAhead() throws Exception {
    // Large results fill the socket while calls wait written behind them; large arguments are never
    // written ahead. Every call must end, with its own answer.
    try (Snakepit pool = pool("ahead-large", 2)) {
      List<CompletableFuture<Object>> calls = new ArrayList<>();
      byte[] argument = new byte[1 << 20];
      for (int i = 0; i < 30; i++) {
        calls.add(pool.executeAsync(Call.of("big_result").withArg("n", 4 << 20)));
        calls.add(pool.executeAsync(Call.of("bytes_len").withArg("data", argument)));
        calls.add(pool.executeAsync("add", Map.of("a", i, "b", 1)));
      }
      for (int i = 0; i < calls.size(); i++) {
        Object value = calls.get(i).get(30, TimeUnit.SECONDS);
        switch (i % 3) {
          case 0 -> assertThat((byte[]) value).hasSize(4 << 20);
          case 1 -> assertThat(value).isEqualTo((long) argument.length);
          default -> assertThat(value).isEqualTo((long) (i / 3 + 1));
        }
      }
    }
  }

  @Test
  void aCallWrittenAheadToAWorkerThatDiesIsSentToAnotherWorker() throws Exception {
    try (Snakepit pool = pool("ahead-crash", 1)) {
      CompletableFuture<Object> dying = pool.executeAsync(Call.of("nap_then_exit").withArg("seconds", 0.4).withArg("code", 3));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
      CompletableFuture<Object> behind = pool.executeAsync(Call.of("whoami"));
      List<Long> before = pool.workerPids();

      assertThatThrownBy(() -> dying.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED));
      List<?> who = (List<?>) behind.get(20, TimeUnit.SECONDS);

      assertThat(before).doesNotContain((Long) who.get(1)); // it ran on the replacement, not failed with the dead worker
    }
  }

  @Test
  void aWorkerThatDiesAsItBeginsTheCallBehindStillAnswersTheOneBeforeAndThatCallIsNotSentAgain() throws Exception {
    for (int round = 0; round < 5; round++) {
      try (Snakepit pool = pool("ahead-dies-" + round, 1)) {
        CompletableFuture<Object> first = pool.executeAsync(Call.of("sleep").withArg("seconds", 0.2));
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
        CompletableFuture<Object> dying = pool.executeAsync(Call.of("crash").withArg("code", 3));

        // The first call's reply was on the socket when the worker died: it is read before the burial.
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(0.2);
        // The crash had begun: it fails as a call whose worker died under it, and runs nowhere else.
        assertThatThrownBy(() -> dying.get(10, TimeUnit.SECONDS)).cause()
            .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED));
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 1);
        assertThat(pool.stats().workersCrashed()).isEqualTo(1);
      }
    }
  }

  @Test
  void aCallCancelledBeforeItBeganIsAnsweredAtOnceAndNeverRuns() throws Exception {
    try (Snakepit pool = pool("ahead-cancel", 1)) {
      CompletableFuture<Object> first = pool.executeAsync(Call.of("sleep").withArg("seconds", 0.5));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
      CompletableFuture<Object> behind = pool.executeAsync(Call.of("sleep").withArg("seconds", 30.0));

      behind.cancel(true);

      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(0.5);
      // The worker skips the cancelled call: it serves the next one long before that call's 30 s.
      assertThat(pool.execute(Call.of("add").withArg("a", 1).withArg("b", 2).withTimeout(Duration.ofSeconds(10)))).isEqualTo(3L);
      assertThat(behind).isCancelled();
    }
  }

  @Test
  void aCallWaitingAheadPastTheAcquireTimeoutFailsAndNeverRuns() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("ahead-acquire").pipelineDepth(1)
        .acquireTimeout(Duration.ofMillis(300)))) {
      CompletableFuture<Object> first = pool.executeAsync(Call.of("sleep").withArg("seconds", 1.5));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
      CompletableFuture<Object> behind = pool.executeAsync(Call.of("sleep").withArg("seconds", 30.0));

      // As a call that waited in the queue: the pool had no worker for it within the acquire timeout.
      assertThatThrownBy(() -> behind.get(10, TimeUnit.SECONDS)).cause()
          .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED));
      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1.5);
      assertThat(pool.execute(Call.of("add").withArg("a", 1).withArg("b", 2).withTimeout(Duration.ofSeconds(10)))).isEqualTo(3L);
    }
  }

  @Test
  void theDepthIsValidated() {
    assertThatThrownBy(() -> PoolConfig.builder("m:A").pipelineDepth(17)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pipelineDepth = 17 is invalid: it must be between 0 and 16");
    assertThat(PoolConfig.builder("m:A").build().pipelineDepth()).isZero();
  }
}
