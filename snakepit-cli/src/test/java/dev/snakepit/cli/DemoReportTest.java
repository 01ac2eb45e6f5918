package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolStats;
import dev.snakepit.WorkerExit;
import dev.snakepit.spi.WorkerEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoReportTest {
  private static final DemoSettings SETTINGS =
      new DemoSettings(4, 4_000, 8, true, new PythonCommand("python3", "/usr/bin/python3", "3.11.7"));

  private static PoolStats stats(PoolStats.State state, int workers, int idle, long replaced) {
    return new PoolStats("demo", state, 4, workers, idle, 0, 0, 0, 3_999, 1, 0, 4 + replaced, replaced, replaced,
        Duration.ofSeconds(2), false, null, null);
  }

  private static DemoResult.Kill kill() {
    WorkerEvent crash = new WorkerEvent("demo", "w2", 1234, Duration.ofSeconds(1), "died: killed by SIGKILL",
        new WorkerExit(1234, -1, "SIGKILL", ""));
    WorkerEvent replacement = new WorkerEvent("demo", "w5", 5678, Duration.ofMillis(200), null, null);
    return new DemoResult.Kill(1234, "w2", 1_600, crash, replacement, 212_000_000L);
  }

  /** Four workers, w2 killed and replaced by w5; times in nanoseconds. */
  private static List<DemoResult.WorkerShare> shares() {
    return List.of(
        share("w1", 1111, new long[] {20_000, 40_000, 60_000}, new long[] {300_000, 310_000, 320_000}),
        share("w2", 1234, new long[] {30_000}, new long[] {250_000}),
        share("w3", 3333, new long[] {10_000, 10_000}, new long[] {400_000, 420_000}),
        share("w4", 4444, new long[] {50_000}, new long[] {350_000}),
        share("w5", 5678, new long[0], new long[0]));
  }

  private static DemoResult.WorkerShare share(String id, long pid, long[] queued, long[] ran) {
    return new DemoResult.WorkerShare(id, pid, queued.length, Latencies.of(queued), Latencies.of(ran));
  }

  private static long[] latencies() {
    long[] nanos = new long[3_999];
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = 500_000L + i * 1_000L; // 0.500 ms .. 4.498 ms
    }
    return nanos;
  }

  @Test
  void summarizesAPassedRunWithAKill() {
    DemoResult result = new DemoResult(SETTINGS, 3_999, Map.of(ErrorKind.WORKER_CRASHED, 1L),
        Map.of(ErrorKind.WORKER_CRASHED, "worker w2 died"), 0, null, Latencies.of(latencies()), shares(), 1_370_000_000L,
        kill(), stats(PoolStats.State.RUNNING, 4, 4, 1), true, stats(PoolStats.State.CLOSED, 0, 0, 1), 5, List.of(),
        List.of());

    String report = DemoReport.render(result);

    assertThat(report).contains(
        "  calls ok          3999           of 4000; every result checked against the expected value\n",
        "  calls failed      1              by kind:\n",
        "    WORKER_CRASHED  1              the call that was running on the killed worker w2 (pid 1234)\n",
        "  latency p50       2.50 ms        ok calls, timed in the calling thread\n",
        "  latency p99       4.46 ms        max 4.50 ms\n",
        "  throughput        2,919 calls/s  4000 calls in 1.37 s from 8 threads\n",
        "  worker restarts   1              workers started 5, crashed 1; w5 (pid 5678) ready 212 ms after the kill\n",
        "  pool after run    healthy        RUNNING; 4/4 workers ready (4 idle, 0 busy), 0 starting, 0 queued\n",
        "  pool after close  closed         0 of 5 worker processes alive\n");
    assertThat(report).contains("""
        workers (queued: from a call's acceptance to its hand-over to the worker; ran: from then to its reply)
          worker   pid  calls ok  queued p50  ran p50  note
          ------  ----  --------  ----------  -------  ----------------------------------------
          w1      1111         3     0.04 ms  0.31 ms
          w2      1234         1     0.03 ms  0.25 ms  killed with SIGKILL after 1600 calls
          w3      3333         2     0.01 ms  0.40 ms
          w4      4444         1     0.05 ms  0.35 ms
          w5      5678         0           -        -  replaced w2, ready 212 ms after the kill

        demo passed""");
    assertThat(report.indexOf("\nworkers")).as("after the summary table").isGreaterThan(report.indexOf("pool after close"));
    assertThat(report).endsWith("demo passed: the pool lost a worker to SIGKILL, replaced it and kept serving;"
        + " no worker process is left\n");
  }

  @Test
  void leavesOutTheWorkersTableWhenNoCallSucceeded() {
    DemoResult result = new DemoResult(SETTINGS, 0, Map.of(ErrorKind.POOL_CLOSED, 4_000L), Map.of(), 0, null,
        Latencies.of(new long[0]), List.of(), 0, null, stats(PoolStats.State.CLOSED, 0, 0, 0), false,
        stats(PoolStats.State.CLOSED, 0, 0, 0), 4, List.of(), List.of("4000 call(s) failed with POOL_CLOSED"));

    assertThat(DemoReport.render(result)).doesNotContain("workers (queued");
  }

  @Test
  void listsEveryProblemOfAFailedRun() {
    DemoResult result = new DemoResult(SETTINGS, 3_990, Map.of(ErrorKind.TIMEOUT, 10L),
        Map.of(ErrorKind.TIMEOUT, "call of tool 'cpu' timed out\nafter 30 s"), 0, null, Latencies.of(latencies()),
        List.of(), 1_000_000_000L, kill(), stats(PoolStats.State.RUNNING, 3, 3, 0), false, stats(PoolStats.State.CLOSED, 0, 0, 0),
        5, List.of(4321L), List.of("10 call(s) failed with TIMEOUT", "worker process(es) still alive: pids [4321]"));

    String report = DemoReport.render(result);

    assertThat(report).contains(
        "    TIMEOUT         10", "call of tool 'cpu' timed out | after 30 s",
        "  pool after run    NOT RECOVERED  RUNNING; 3/4 workers ready",
        "1 of 5 worker processes alive: pids [4321]");
    assertThat(report).endsWith("""
        demo FAILED:
          - 10 call(s) failed with TIMEOUT
          - worker process(es) still alive: pids [4321]
        """);
  }

  @Test
  void explainsAKillThatFailedNoCall() {
    DemoResult result = new DemoResult(SETTINGS, 4_000, Map.of(), Map.of(), 0, null, Latencies.of(latencies()),
        shares(), 1_000_000_000L, kill(), stats(PoolStats.State.RUNNING, 4, 4, 1), true, stats(PoolStats.State.CLOSED, 0, 0, 1), 5,
        List.of(), List.of());

    assertThat(DemoReport.render(result))
        .contains("  calls failed      0              the killed worker had no call in flight, so no call was lost\n");
  }

  @Test
  void omitsLatenciesWhenNoCallSucceeded() {
    DemoResult result = new DemoResult(SETTINGS, 0, Map.of(ErrorKind.POOL_CLOSED, 4_000L), Map.of(), 0, null,
        Latencies.of(new long[0]), List.of(), 0, null, stats(PoolStats.State.CLOSED, 0, 0, 0), false,
        stats(PoolStats.State.CLOSED, 0, 0, 0), 4, List.of(), List.of("4000 call(s) failed with POOL_CLOSED"));

    assertThat(DemoReport.render(result)).doesNotContain("latency p50").contains("throughput        n/a");
  }
}
