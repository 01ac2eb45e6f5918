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

class DemoVerdictTest {
  private static final PythonCommand PYTHON = new PythonCommand("python3", "python3", "3.11.7");
  private static final DemoSettings WITH_KILL = new DemoSettings(4, 100, 8, true, PYTHON);
  private static final DemoSettings NO_KILL = new DemoSettings(4, 100, 8, false, PYTHON);
  private static final PoolStats FULL =
      new PoolStats("demo", PoolStats.State.RUNNING, 4, 4, 4, 0, 0, 0, 99, 1, 0, 5, 1, 1, Duration.ofSeconds(1), false, null, null);
  private static final PoolStats CLOSED =
      new PoolStats("demo", PoolStats.State.CLOSED, 4, 0, 0, 0, 0, 0, 99, 1, 0, 5, 1, 1, Duration.ofSeconds(1), false, null, null);
  private static final DemoResult.Kill KILL = new DemoResult.Kill(42, "w1", 40,
      new WorkerEvent("demo", "w1", 42, Duration.ofSeconds(1), "died", new WorkerExit(42, -1, "SIGKILL", "")),
      new WorkerEvent("demo", "w5", 43, Duration.ZERO, null, null), 300_000_000L);

  private static DemoResult result(DemoSettings settings, long ok, Map<ErrorKind, Long> failures, long wrong,
      DemoResult.Kill kill, boolean recovered, PoolStats afterClose, List<Long> alive) {
    return new DemoResult(settings, ok, failures, Map.of(), wrong, wrong > 0 ? "call 3 (add) returned 4" : null,
        Latencies.of(new long[] {1}), List.of(), 1, kill, FULL, recovered, afterClose, 5, alive, List.of());
  }

  @Test
  void passesAKillThatCostTheCallOnTheKilledWorker() {
    DemoResult r = result(WITH_KILL, 99, Map.of(ErrorKind.WORKER_CRASHED, 1L), 0, KILL, true, CLOSED, List.of());

    assertThat(DemoVerdict.problems(r)).isEmpty();
  }

  @Test
  void failsWorkerCrashesWithoutAKill() {
    DemoResult r = result(NO_KILL, 99, Map.of(ErrorKind.WORKER_CRASHED, 1L), 0, null, true, CLOSED, List.of());

    assertThat(DemoVerdict.problems(r)).singleElement().asString().startsWith("1 call(s) failed with WORKER_CRASHED");
  }

  @Test
  void failsMoreCrashedCallsThanAHandful() {
    long many = DemoResult.MAX_CRASHED_CALLS + 1;
    DemoResult r = result(WITH_KILL, 100 - many, Map.of(ErrorKind.WORKER_CRASHED, many), 0, KILL, true, CLOSED, List.of());

    assertThat(DemoVerdict.problems(r)).singleElement().asString()
        .isEqualTo(many + " calls failed with WORKER_CRASHED after one kill; at most 5 may");
  }

  @Test
  void failsAnyOtherKindOfFailureAndWrongResults() {
    DemoResult r = result(WITH_KILL, 97, Map.of(ErrorKind.TIMEOUT, 2L), 1, KILL, true, CLOSED, List.of());

    assertThat(DemoVerdict.problems(r)).containsExactly(
        "1 call(s) returned a wrong result; the first: call 3 (add) returned 4",
        "2 call(s) failed with TIMEOUT; the first: null");
  }

  @Test
  void failsUnfinishedCalls() {
    DemoResult r = result(NO_KILL, 60, Map.of(), 0, null, true, CLOSED, List.of());

    assertThat(DemoVerdict.problems(r)).containsExactly("only 60 of 100 calls finished");
  }

  @Test
  void failsAKillThePoolNeverNoticedOrThatDidNotHappen() {
    DemoResult.Kill unseen = new DemoResult.Kill(42, "w1", 40, null, null, -1);

    assertThat(DemoVerdict.problems(result(WITH_KILL, 100, Map.of(), 0, unseen, true, CLOSED, List.of())))
        .containsExactly("the pool never reported the death of killed worker pid 42");
    assertThat(DemoVerdict.problems(result(WITH_KILL, 100, Map.of(), 0, null, true, CLOSED, List.of())))
        .containsExactly("no worker was killed");
  }

  @Test
  void failsAPoolThatDidNotRecoverOrClose() {
    assertThat(DemoVerdict.problems(result(WITH_KILL, 100, Map.of(), 0, KILL, false, CLOSED, List.of())))
        .singleElement().asString().startsWith("the pool did not recover to 4 ready workers within 30 s [");
    assertThat(DemoVerdict.problems(result(WITH_KILL, 100, Map.of(), 0, KILL, true, FULL, List.of())))
        .singleElement().asString().startsWith("the pool is not closed after close() [RUNNING");
  }

  @Test
  void failsWorkerProcessesAliveAfterClose() {
    DemoResult r = result(WITH_KILL, 100, Map.of(), 0, KILL, true, CLOSED, List.of(4321L));

    assertThat(DemoVerdict.problems(r)).containsExactly("worker process(es) still alive 10 s after close: pids [4321]");
  }
}
