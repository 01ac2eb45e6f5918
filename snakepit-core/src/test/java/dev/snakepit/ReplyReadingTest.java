package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who reads a call's reply: a platform thread calling synchronously reads its own, whether its call
 * found a free worker or waited for one, so that no other thread wakes for it; every other reply is
 * read by the worker's data thread. The pool
 * reports each call's end on the thread that read its reply, which is what these tests observe.
 */
@PoolTest
class ReplyReadingTest {
  private static final Map<String, String> readBy = new ConcurrentHashMap<>();
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("reply-reading").size(1)
        .callTimeout(Duration.ofSeconds(5)).cancelGrace(Duration.ofSeconds(2))
        .listener(new PoolListener() {
          @Override
          public void callStop(CallEvent event) {
            readBy.put(event.tool(), Thread.currentThread().getName());
          }
        }));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @BeforeEach
  void settled() {
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 1);
    readBy.clear();
  }

  @Test
  void aPlatformThreadReadsTheReplyToItsOwnCall() {
    assertThat(pool.execute(Call.of("add").withArg("a", 2).withArg("b", 3))).isEqualTo(5L);

    assertThat(readBy.get("add")).isEqualTo(Thread.currentThread().getName());
  }

  @Test
  void framesLargerThanTheSocketBuffersCrossBothWaysOnTheCallersThread() {
    int size = 9 << 20; // more than twice the 4 MiB send buffers
    byte[] sent = new byte[size];
    for (int i = 0; i < size; i++) {
      sent[i] = (byte) (i * 31);
    }

    byte[] received = (byte[]) pool.execute(Call.of("make_bytes").withArg("n", size));
    Object length = pool.execute(Call.of("bytes_len").withArg("data", sent));

    assertThat(received).hasSize(size);
    for (int i = 0; i < size; i += 4093) {
      assertThat(received[i]).as("byte %d", i).isEqualTo((byte) (i % 256));
    }
    assertThat(length).isEqualTo((long) size);
    assertThat(readBy.get("make_bytes")).isEqualTo(Thread.currentThread().getName());
    assertThat(readBy.get("bytes_len")).isEqualTo(Thread.currentThread().getName());
  }

  @Test
  void theWorkersDataThreadReadsTheReplyToAnAsynchronousCall() throws Exception {
    assertThat(pool.executeAsync("echo", Map.of("value", "x")).get(10, TimeUnit.SECONDS)).isEqualTo("x");

    assertThat(readBy.get("echo")).startsWith("snakepit-reply-reading-").endsWith("-data");
  }

  @Test
  void theWorkersDataThreadReadsTheReplyToAVirtualThreadsCall() throws Exception {
    CompletableFuture<Object> result = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> result.complete(pool.execute(Call.of("add").withArg("a", 1)))).join(Duration.ofSeconds(10));

    assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo(3L);
    assertThat(readBy.get("add")).endsWith("-data");
  }

  @Test
  void aQueuedCallerIsWokenWhenItsCallGetsTheWorkerAndReadsItsOwnReply() throws Exception {
    CompletableFuture<Object> first = new CompletableFuture<>();
    Thread firstCaller = Thread.ofPlatform().name("first-caller").start(() ->
        first.complete(pool.execute(Call.of("sleep").withArg("seconds", 0.3))));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
    CompletableFuture<Object> second = new CompletableFuture<>();
    Thread secondCaller = Thread.ofPlatform().name("second-caller").start(() ->
        second.complete(pool.execute(Call.of("add").withArg("a", 4))));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1 || second.isDone());

    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(0.3);
    assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(6L);
    firstCaller.join(Duration.ofSeconds(10));
    secondCaller.join(Duration.ofSeconds(10));
    assertThat(readBy.get("sleep")).isEqualTo("first-caller");
    assertThat(readBy.get("add")).isEqualTo("second-caller");
  }

  @Test
  void aQueuedCallerInterruptedBeforeItsCallGotAWorkerLeavesTheQueue() throws Exception {
    CompletableFuture<Object> busy = pool.executeAsync(Call.of("sleep").withArg("seconds", 30));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
    CompletableFuture<SnakepitException> thrown = new CompletableFuture<>();
    Thread queued = Thread.ofPlatform().start(() -> thrown.complete(failureOf(Call.of("add").withArg("a", 4))));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1);

    queued.interrupt();

    assertThat(thrown.get(10, TimeUnit.SECONDS).kind()).isEqualTo(ErrorKind.CANCELLED);
    queued.join(Duration.ofSeconds(10));
    assertThat(pool.stats().queued()).isZero();
    busy.cancel(true);
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 1);
    assertThat(pool.execute(Call.of("add").withArg("a", 1))).isEqualTo(3L);
    assertThat(readBy).doesNotContainKey("sleep");
  }

  @Test
  void aCallerInterruptedWhileReadingLeavesTheLateReplyToTheDataThreadAndTheWorkerServesOn() throws Exception {
    long crashed = pool.stats().workersCrashed();
    long pid = pool.workerPids().get(0);
    CompletableFuture<SnakepitException> thrown = new CompletableFuture<>();
    CompletableFuture<Object> next = new CompletableFuture<>();
    Thread caller = Thread.ofPlatform().name("interrupted-caller").start(() -> {
      thrown.complete(failureOf(Call.of("sleep").withArg("seconds", 30)));
      Thread.interrupted(); // the flag is kept for the caller; clear it to call again
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 1);
      next.complete(pool.execute(Call.of("add").withArg("a", 5)));
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

    caller.interrupt();

    assertThat(thrown.get(10, TimeUnit.SECONDS).kind()).isEqualTo(ErrorKind.CANCELLED);
    assertThat(next.get(20, TimeUnit.SECONDS)).isEqualTo(7L);
    caller.join(Duration.ofSeconds(10));
    assertThat(readBy.get("add")).as("the same thread reads its next reply itself").isEqualTo("interrupted-caller");
    assertThat(pool.workerPids()).containsExactly(pid);
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
  }

  @Test
  void aWorkerKilledWhileItsCallerReadsTheReplyFailsTheCallAsCrashed() throws Exception {
    long pid = pool.workerPids().get(0);
    CompletableFuture<SnakepitException> thrown = new CompletableFuture<>();
    Thread caller = Thread.ofPlatform().start(() -> thrown.complete(failureOf(Call.of("sleep").withArg("seconds", 30))));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

    Processes.signal(pid, "KILL");

    SnakepitException e = thrown.get(10, TimeUnit.SECONDS);
    caller.join(Duration.ofSeconds(10));
    assertThat(e).isNotNull();
    assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    assertThat(e.workerExit()).hasValueSatisfying(exit -> assertThat(exit.signal()).isEqualTo("SIGKILL"));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().idle() == 1);
    assertThat(pool.execute(Call.of("add").withArg("a", 1))).isEqualTo(3L);
    assertThat(pool.workerPids()).doesNotContain(pid);
  }

  @Test
  void aCallPastItsDeadlineIsAnsweredFromTheReplyItsCallerReads() {
    long crashed = pool.stats().workersCrashed();
    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofMillis(300))));

    assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(e.getMessage()).contains("stopped when cancelled", "sleep");
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
  }

  /** Runs the call on this thread; returns how it failed, or null when it succeeded. */
  private static SnakepitException failureOf(Call call) {
    try {
      pool.execute(call);
      return null;
    } catch (SnakepitException e) {
      return e;
    }
  }
}
