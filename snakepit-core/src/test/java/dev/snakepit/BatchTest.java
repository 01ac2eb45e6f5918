package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.BYTE_ARRAY;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batches through real workers (docs/protocol.md, section 4.15): {@link Snakepit#map} and {@link Snakepit#mapAsync}. */
@PoolTest
class BatchTest {
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("batch").size(2));
  }

  @AfterAll
  static void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  private static List<Map<String, ?>> adds(int n) {
    return IntStream.range(0, n).<Map<String, ?>>mapToObj(i -> Map.of("a", i, "b", 2 * i)).toList();
  }

  @Test
  void resultsComeInInputOrder() {
    BatchResult sums = pool.map("add", adds(5000));

    assertThat(sums.size()).isEqualTo(5000);
    assertThat(sums.failureCount()).isZero();
    assertThat(sums.values()).isEqualTo(IntStream.range(0, 5000).mapToObj(i -> (Object) (3L * i)).toList());
    assertThat(sums).hasToString("BatchResult[5000 items, 0 failed]");
  }

  @Test
  void itemsSpreadOverTheWorkers() {
    // Items that take a while: the first chunks go to both workers, idle as the batch starts.
    List<Map<String, ?>> naps = IntStream.range(0, 8).<Map<String, ?>>mapToObj(i -> Map.of("seconds", 0.05)).toList();

    BatchResult who = pool.map("nap_whoami", naps);

    Set<Object> pids = new HashSet<>();
    for (Object pair : who.values()) {
      pids.add(((List<?>) pair).get(1));
    }
    assertThat(pids).containsExactlyInAnyOrderElementsOf(pool.workerPids());
  }

  @Test
  void theTemplatesArgumentsAreSharedAndAnItemsOwnWin() {
    BatchResult sums = pool.map(Call.of("add").withArg("b", 100), List.of(Map.of("a", 1), Map.of("a", 2, "b", 10)));

    assertThat(sums.values()).containsExactly(101L, 12L);
  }

  @Test
  void aFailingItemFailsAloneWithTheKindASingleCallWouldGet() {
    Map<String, Object> noneA = new HashMap<>();
    noneA.put("a", "text");
    noneA.put("b", 1);
    BatchResult sums = pool.map("add", List.of(Map.of("a", 1, "b", 1), Map.of("a", 1, "c", 3), noneA,
        Map.of("a", 2, "b", 2)));

    assertThat(sums.failedIndexes()).containsExactly(1, 2);
    assertThat(sums.get(0)).isEqualTo(2L);
    assertThat(sums.get(3)).isEqualTo(4L);
    SnakepitException unexpected = sums.error(1).orElseThrow();
    assertThat(unexpected.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
    assertThat(unexpected).hasMessageContaining("inputs[1] of a batch of tool 'add'");
    SnakepitException raised = sums.error(2).orElseThrow();
    assertThat(raised.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(raised.pythonError().orElseThrow().type()).isEqualTo("TypeError");
    assertThat(raised.workerId()).isPresent();
    assertThatThrownBy(() -> sums.get(2)).isSameAs(raised);
    assertThatThrownBy(sums::values).isSameAs(unexpected);
    assertThat(sums).hasToString("BatchResult[4 items, 2 failed: 1, 2]");
  }

  @Test
  void anItemWhoseArgumentsCannotCrossFailsAloneNamingItsIndex() {
    List<Map<String, ?>> inputs = new ArrayList<>(adds(10));
    inputs.set(7, Map.of("a", Instant.EPOCH, "b", 1));

    BatchResult sums = pool.map("add", inputs);

    assertThat(sums.failedIndexes()).containsExactly(7);
    SnakepitException error = sums.error(7).orElseThrow();
    assertThat(error.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(error).hasMessageContaining("cannot send inputs[7] of the batch of tool 'add'")
        .hasMessageContaining("java.time.Instant at inputs[7].a");
    assertThat(sums.get(9)).isEqualTo(27L);
  }

  @Test
  void anEmptyBatchEndsAtOnce() {
    assertThat(pool.map("add", List.of()).size()).isZero();
  }

  @Test
  void aBatchOfAnUnknownToolOrOnAClosedPoolFailsAsAWhole() {
    assertThatThrownBy(() -> pool.map("no_such_tool", adds(3)))
        .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST))
        .hasMessageContaining("unknown tool 'no_such_tool'");
    CompletableFuture<BatchResult> async = pool.mapAsync(Call.of("no_such_tool"), adds(3));
    assertThat(async).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(SnakepitException.class);
    Snakepit closed = TestPools.start(TestPools.demo("batch-closed"));
    closed.close();
    assertThatThrownBy(() -> closed.map("add", adds(3)))
        .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.POOL_CLOSED));
  }

  @Test
  void misuseIsThrownAtOnceNamingTheItem() {
    List<Map<String, ?>> withNull = new ArrayList<>(adds(3));
    withNull.add(null);
    assertThatThrownBy(() -> pool.map("add", withNull)).isInstanceOf(NullPointerException.class)
        .hasMessage("Snakepit.map: inputs[3] must not be null; use Map.of() for an item without arguments");
    assertThatThrownBy(() -> pool.map("add", null)).isInstanceOf(NullPointerException.class)
        .hasMessage("Snakepit.map: inputs must not be null; use List.of() for none");
    Map<Object, Object> badKey = new HashMap<>();
    badKey.put(5, 1);
    @SuppressWarnings({"unchecked", "rawtypes"})
    List<Map<String, ?>> bad = List.of(Map.of("a", 1), (Map) badKey);
    assertThatThrownBy(() -> pool.mapAsync(Call.of("add"), bad)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Snakepit.mapAsync: a key of inputs[1] = 5 (java.lang.Integer) is invalid:"
            + " every keyword name must be a String");
    assertThatThrownBy(() -> pool.map((String) null, adds(1))).isInstanceOf(NullPointerException.class)
        .hasMessage("Snakepit.map: tool must not be null");
  }

  @Test
  void theTimeoutBoundsTheWholeBatch() {
    // One worker, 80 items of 50 ms in chunks of 20 (1 s each): the first chunk ends in time, the
    // second runs into the timeout, the rest are never sent.
    try (Snakepit one = TestPools.start(TestPools.testAdapter("batch-timeout"))) {
      List<Map<String, ?>> naps = IntStream.range(0, 80).<Map<String, ?>>mapToObj(i -> Map.of("seconds", 0.05)).toList();
      long started = System.nanoTime();

      BatchResult slept = one.map(Call.of("sleep").withTimeout(Duration.ofMillis(1500)), naps);

      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
      assertThat(slept.failed(0)).isFalse();
      assertThat(slept.failed(79)).isTrue();
      for (int i : slept.failedIndexes()) {
        assertThat(slept.error(i).orElseThrow().kind()).isEqualTo(ErrorKind.TIMEOUT);
      }
      assertThat(slept.error(79).orElseThrow()).hasMessageContaining("passed its timeout of PT1.5S before this item was sent");
      assertThat(one.execute("add", Map.of("a", 1, "b", 2))).isEqualTo(3L);
    }
  }

  @Test
  void cancellingTheFutureCancelsTheItemsInFlight() {
    List<Map<String, ?>> naps = IntStream.range(0, 40).<Map<String, ?>>mapToObj(i -> Map.of("seconds", 30.0)).toList();
    CompletableFuture<BatchResult> batch = pool.mapAsync(Call.of("sleep"), naps);
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 2);

    batch.cancel(true);

    assertThatThrownBy(batch::join).isInstanceOf(CancellationException.class);
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 0 && pool.stats().queued() == 0);
    assertThat(pool.execute("add", Map.of("a", 1, "b", 2))).isEqualTo(3L);
  }

  @Test
  void anInterruptedCallerCancelsItsBatch() throws Exception {
    List<Map<String, ?>> naps = IntStream.range(0, 8).<Map<String, ?>>mapToObj(i -> Map.of("seconds", 30.0)).toList();
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread caller = Thread.ofPlatform().start(() -> {
      try {
        pool.map("sleep", naps);
        failure.complete(null);
      } catch (Throwable e) {
        failure.complete(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 2);

    caller.interrupt();

    assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOfSatisfying(SnakepitException.class,
        e -> assertThat(e.kind()).isEqualTo(ErrorKind.CANCELLED));
    caller.join(10_000);
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 0);
  }

  @Test
  void aCrashedWorkerFailsItsChunkOrRetriesItForAnIdempotentTool(@TempDir Path dir) throws Exception {
    try (Snakepit one = TestPools.start(TestPools.testAdapter("batch-crash"))) {
      String marker = dir.resolve("crashed").toString();
      List<Map<String, ?>> items = IntStream.range(0, 8).<Map<String, ?>>mapToObj(i -> Map.of("marker", marker)).toList();

      BatchResult once = one.map(Call.of("crash_once"), items);

      // Chunks of 2: the first crashed its worker; the rest ran on the replacement.
      assertThat(once.failedIndexes()).containsExactly(0, 1);
      assertThat(once.error(0).orElseThrow().kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(once.error(1).orElseThrow()).isSameAs(once.error(0).orElseThrow());

      Files.delete(Path.of(marker));
      BatchResult retried = one.map(Call.of("crash_once").withRetries(1), items);

      assertThat(retried.failureCount()).isZero();
    }
  }

  @Test
  void aChunkTooLargeForAFrameIsSplitAndAnItemTooLargeFailsAlone() {
    try (Snakepit small = TestPools.start(TestPools.testAdapter("batch-frames").maxFrameBytes(64 * 1024))) {
      // One worker: chunks of 10 items of 10 KB, 100 KB a chunk, above the 64 KiB frame.
      List<Map<String, ?>> blobs = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        blobs.add(Map.of("data", new byte[i == 33 ? 70_000 : 10_000]));
      }

      BatchResult lengths = small.map("bytes_len", blobs);

      assertThat(lengths.failedIndexes()).containsExactly(33);
      assertThat(lengths.error(33).orElseThrow().kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
      assertThat(lengths.error(33).orElseThrow()).hasMessageContaining("above maxFrameBytes 65536");
      assertThat(lengths.get(0)).isEqualTo(10_000L);
      assertThat(lengths.get(39)).isEqualTo(10_000L);

      // Results: each fits, not all together: those that did not fit fail, saying so; they ran.
      // Chunks of 2 items whose results of 40 KB each fit the frame alone, not together.
      BatchResult big = small.map(Call.of("big_result"),
          IntStream.range(0, 8).<Map<String, ?>>mapToObj(i -> Map.of("n", 40_000)).toList());
      assertThat(big.failedIndexes()).containsExactly(1, 3, 5, 7);
      assertThat(big.get(0)).asInstanceOf(BYTE_ARRAY).hasSize(40_000);
      assertThat(big.error(1).orElseThrow().kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
      assertThat(big.error(1).orElseThrow()).hasMessageContaining("ran, but its result");
    }
  }
}
