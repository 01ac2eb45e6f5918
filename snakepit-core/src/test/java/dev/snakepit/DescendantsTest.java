package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Every process a worker starts dies with the worker, however it tried to get away: a child that
 * started a session of its own, a daemon that double-forked, a multiprocessing pool. The keeper, the
 * process the pool starts and the worker's parent, adopts every orphan of the tree (a child
 * subreaper) and kills it. Asserted with a generous bound; docs/reliability.md has the measured times.
 */
@PoolTest
@EnabledOnOs(OS.LINUX)
class DescendantsTest {
  /** The bound is 1 s; the rest is slack for a loaded machine. */
  private static final Duration GONE_WITHIN = Duration.ofSeconds(3);

  @Test
  void everyDescendantDiesWithAWorkerThatCrashes() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("descendants-crash").size(1))) {
      long worker = pool.workerPids().getFirst();
      List<Long> started = startEverything(pool);

      SnakepitException crash = failureOf(() -> pool.execute("crash", Map.of("code", 0)));

      assertThat(crash.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(crash.workerExit().orElseThrow().signal()).isEqualTo("SIGKILL");
      assertThat(crash.workerExit().orElseThrow().pid()).isEqualTo(worker);
      assertGone(started);
      assertThat(crash.workerExit().orElseThrow().stderrTail()).contains("process(es) the worker left behind");
    }
  }

  @Test
  void everyDescendantDiesWithARecycledWorker() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("descendants-recycle").size(1)
        .recycleAfterCalls(5).recycleJitter(0))) {
      long worker = pool.workerPids().getFirst();
      List<Long> started = startEverything(pool); // four calls
      assertThat(pool.execute("pid", Map.of())).isEqualTo(worker); // the fifth: recycled after it

      await().atMost(Duration.ofSeconds(20)).until(() -> !pool.workerPids().contains(worker) && pool.stats().idle() == 1);
      assertGone(started);
      assertThat(pool.stats().recycles().get(RecycleReason.CALLS)).isEqualTo(1L);
    }
  }

  @Test
  void everyDescendantDiesWhenThePoolCloses() {
    List<Long> started;
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("descendants-close").size(2))) {
      started = startEverything(pool);
    }
    assertGone(started);
  }

  @Test
  void everyDescendantDiesWithAWorkerThePoolKills() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("descendants-kill").size(1)
        .cancelGrace(Duration.ofMillis(500)))) {
      List<Long> started = startEverything(pool);

      SnakepitException timeout = failureOf(() -> pool.execute(Call.of("ignore_cancel").withArg("seconds", 30.0)
          .withTimeout(Duration.ofMillis(200))));

      assertThat(timeout.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertGone(started);
    }
  }

  /** A child of each kind, and a multiprocessing pool; the pids of everything below the worker. */
  private static List<Long> startEverything(Snakepit pool) {
    List<Long> started = new ArrayList<>();
    for (String detach : List.of("no", "session", "daemon")) {
      started.add((Long) pool.execute("spawn_child", Map.of("seconds", 60, "detach", detach)));
    }
    @SuppressWarnings("unchecked")
    List<Long> below = (List<Long>) pool.execute("start_process_pool", Map.of("processes", 2));
    assertThat(below).containsAll(started.subList(0, 2)).hasSizeGreaterThanOrEqualTo(5);
    started.addAll(below);
    assertThat(started).allMatch(Processes::isRunning);
    return started.stream().distinct().toList();
  }

  private static void assertGone(List<Long> pids) {
    await().atMost(GONE_WITHIN).pollInterval(Duration.ofMillis(10))
        .untilAsserted(() -> assertThat(pids).noneMatch(Processes::isRunning));
  }

  private static SnakepitException failureOf(Runnable call) {
    try {
      call.run();
    } catch (SnakepitException e) {
      return e;
    }
    throw new AssertionError("the call did not fail");
  }
}
