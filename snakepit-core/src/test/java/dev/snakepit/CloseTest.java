package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.BlockedCommonPool;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a pool: running calls get the shutdown grace, queued and later calls fail with
 * POOL_CLOSED, workers run teardown() and exit, and close() returns only when every process is gone.
 */
@PoolTest
class CloseTest {
  @TempDir
  Path temp;

  @Test
  void aRunningCallFinishesWithinTheGraceAndReturnsItsValue() throws Exception {
    Snakepit pool = TestPools.start(TestPools.testAdapter("close-running").shutdownGrace(Duration.ofSeconds(10)));
    List<Long> pids = pool.workerPids();
    CompletableFuture<Object> running = pool.executeAsync(Call.of("sleep").withArg("seconds", 1.0));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

    pool.close();

    assertThat(running.get(1, TimeUnit.SECONDS)).isEqualTo(1.0);
    assertThat(pids).noneMatch(Processes::isRunning);
  }

  @Test
  void queuedCallsFailWithPoolClosedWhileTheRunningOneFinishes() throws Exception {
    Snakepit pool = TestPools.start(TestPools.testAdapter("close-queued").shutdownGrace(Duration.ofSeconds(10)));
    CompletableFuture<Object> running = pool.executeAsync(Call.of("sleep").withArg("seconds", 1.0));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
    List<CompletableFuture<Object>> queued = List.of(pool.executeAsync("ping", Map.of()), pool.executeAsync("ping", Map.of()));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 2);

    pool.close();

    for (CompletableFuture<Object> call : queued) {
      assertThat(failure(call).kind()).isEqualTo(ErrorKind.POOL_CLOSED);
      assertThat(failure(call).getMessage()).contains("pool 'close-queued' closed", "'ping'");
    }
    assertThat(running.get(1, TimeUnit.SECONDS)).isEqualTo(1.0);
  }

  @Test
  void aCallRunningPastTheGraceFailsWithPoolClosedAndItsWorkerIsKilled() {
    Snakepit pool = TestPools.start(TestPools.testAdapter("close-overrun").shutdownGrace(Duration.ofMillis(500)));
    long pid = pool.workerPids().getFirst();
    CompletableFuture<Object> running = pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
    long started = System.nanoTime();

    pool.close();

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    SnakepitException e = failure(running);
    assertThat(e.kind()).isEqualTo(ErrorKind.POOL_CLOSED);
    assertThat(e.getMessage()).contains("pool 'close-overrun' closed while tool 'sleep' was running", "shutdown grace");
    assertThat(Processes.isRunning(pid)).isFalse();
  }

  @Test
  void everyWorkerRunsTeardownBeforeItExits() throws IOException {
    Path marker = temp.resolve("teardown");
    Snakepit pool = TestPools.start(TestPools.testAdapter("close-teardown").size(2)
        .environment("POOLTESTS_TEARDOWN_MARKER", marker.toString()));
    List<Long> pids = pool.workerPids();

    pool.close();

    List<Long> tornDown = Files.readAllLines(marker).stream().map(line -> Long.parseLong(line.split(" ")[1])).toList();
    assertThat(tornDown).containsExactlyInAnyOrderElementsOf(pids);
    assertThat(pids).noneMatch(Processes::isRunning);
  }

  @Test
  void closeFromTwoThreadsAtOnceClosesOnceAndBothReturnWhenAllIsGone() throws Exception {
    Snakepit pool = TestPools.start(TestPools.testAdapter("close-twice").size(2));
    List<Long> pids = pool.workerPids();
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<List<Long>>> closers = List.of(new CompletableFuture<>(), new CompletableFuture<>());
    List<Thread> threads = closers.stream().map(done -> Thread.ofPlatform().start(() -> {
      try {
        go.await();
        pool.close();
        done.complete(pids.stream().filter(Processes::isRunning).toList());
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    })).toList();

    go.countDown();

    for (CompletableFuture<List<Long>> closer : closers) {
      assertThat(closer.get(30, TimeUnit.SECONDS)).as("workers still running when close() returned").isEmpty();
    }
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(10));
    }
    pool.close();
    assertThat(pool.stats().state()).isEqualTo(PoolStats.State.CLOSED);
    assertThat(pool.stats().workers()).isZero();
    assertThat(pool.workerPids()).isEmpty();
  }

  @Test
  void closeOnAThreadThatACommonPoolTaskJoinsLetsTheRunningCallFinishAndEndsEveryWorkerWithinTheGrace() throws Exception {
    Duration grace = Duration.ofSeconds(5);
    Snakepit pool = TestPools.start(TestPools.demo("close-joined").shutdownGrace(grace));
    List<Long> pids = pool.workerPids();
    CompletableFuture<Object> running = pool.executeAsync("sleep", Map.of("seconds", 1.0));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
    long started = System.nanoTime();

    // A task of the common pool that closes the pool on a thread of its own and joins it, holding its
    // common-pool thread meanwhile: on two cores, the only one.
    CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> join(Thread.ofPlatform().start(pool::close)));

    assertThat(running.get(10, TimeUnit.SECONDS)).isEqualTo(1.0);
    closing.get(30, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(grace);
    assertThat(pool.workerPids()).isEmpty();
    assertThat(pids).noneMatch(Processes::isRunning);
    assertThat(pool.stats().state()).isEqualTo(PoolStats.State.CLOSED);
  }

  @Test
  void closeEndsEveryWorkerWithinTheGraceWhileEveryThreadOfTheCommonPoolIsBlocked() {
    Duration grace = Duration.ofSeconds(5);
    Snakepit pool = TestPools.start(TestPools.testAdapter("close-common-pool").size(2).shutdownGrace(grace));
    List<Long> pids = pool.workerPids();

    BlockedCommonPool blocked = BlockedCommonPool.block();
    try {
      long started = System.nanoTime();
      pool.close();

      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(grace);
      assertThat(pool.workerPids()).isEmpty();
      assertThat(pids).noneMatch(Processes::isRunning);
    } finally {
      blocked.close();
    }
  }

  @Test
  void callsAfterCloseFailWithPoolClosed() {
    Snakepit pool = TestPools.start(TestPools.testAdapter("close-after"));
    pool.close();

    SnakepitException blocking = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ping", Map.of()));
    SnakepitException async = failure(pool.executeAsync("ping", Map.of()));

    for (SnakepitException e : List.of(blocking, async)) {
      assertThat(e.kind()).isEqualTo(ErrorKind.POOL_CLOSED);
      assertThat(e.retry()).isEqualTo(ErrorKind.Retry.NO);
      assertThat(e.getMessage()).contains("pool 'close-after' is closed", "'ping'");
    }
  }

  @Test
  void aPoolIsAutoCloseable() {
    List<Long> pids;
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("close-auto").size(2))) {
      pids = pool.workerPids();
      assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
    }

    assertThat(pids).hasSize(2).noneMatch(Processes::isRunning);
  }

  @Test
  void closingKillsWhatTheWorkersStarted() {
    long child;
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("close-children"))) {
      child = (Long) pool.execute("spawn_child", Map.of("seconds", 60));
      assertThat(Processes.isRunning(child)).isTrue();
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> !Processes.isRunning(child));
  }

  @Test
  void closingWhileAWorkerIsBeingReplacedLeavesNoProcessOfThePool() {
    Snakepit pool = TestPools.start(TestPools.testAdapter("close-replacing").size(2));
    long victim = pool.workerPids().getFirst();
    ProcessHandle.of(victim).orElseThrow().destroyForcibly();
    await().atMost(Duration.ofSeconds(10)).until(() -> !pool.workerPids().contains(victim));

    pool.close();

    assertThat(Processes.all()).noneMatch(pid -> Processes.isRunning(pid)
        && Processes.hasEnvironment(pid, "SNAKEPIT_POOL", "close-replacing"));
    assertThat(pool.stats().state()).isEqualTo(PoolStats.State.CLOSED);
  }

  private static void join(Thread thread) {
    try {
      thread.join(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static SnakepitException failure(CompletableFuture<Object> call) {
    ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
    assertThat(e).as("the call failed").isNotNull();
    assertThat(e.getCause()).isInstanceOf(SnakepitException.class);
    return (SnakepitException) e.getCause();
  }
}
