package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolStats;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The demo, run in-process against real Python workers with small numbers. */
@ExtendWith(NoLeftoverProcesses.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DemoRunTest {
  @Test
  void recoversFromTheKilledWorkerAndLeavesNoProcess() throws Exception {
    Captured captured = new Captured();
    DemoResult result = new DemoRun(new DemoSettings(2, 300, 4, true, TestPython.get()), captured.terminal).run();

    assertThat(result.problems()).isEmpty();
    assertThat(result.passed()).isTrue();
    assertThat(result.recovered()).isTrue();
    assertThat(result.ok() + result.failed()).isEqualTo(300);
    assertThat(result.wrong()).isZero();
    assertThat(result.failures().keySet()).isSubsetOf(ErrorKind.WORKER_CRASHED);
    assertThat(result.failed()).isLessThanOrEqualTo(DemoResult.MAX_CRASHED_CALLS);

    assertThat(result.kill()).isNotNull();
    assertThat(result.kill().crash()).isNotNull();
    assertThat(result.kill().crash().exit().signal()).isEqualTo("SIGKILL");
    assertThat(result.kill().replacement()).isNotNull();
    assertThat(result.kill().replacement().pid()).isNotEqualTo(result.kill().pid());
    assertThat(result.afterRun().workersReplaced()).isGreaterThanOrEqualTo(1);
    assertThat(DemoRun.isFull(result.afterRun())).isTrue();

    assertThat(result.afterClose().state()).isEqualTo(PoolStats.State.CLOSED);
    assertThat(result.workersSeen()).isGreaterThanOrEqualTo(3);
    assertThat(result.aliveAfterClose()).isEmpty();

    assertThat(captured.out())
        .contains("killed worker " + result.kill().workerId() + " (pid " + result.kill().pid() + ") with SIGKILL")
        .contains("replaced it, ready")
        .contains("streamed from a generator: " + DemoRun.STREAMED + "\n  (11 items, the first after")
        .contains("a tool called Java back: Java's java_version says '" + Runtime.version() + "'");

    // Each ok call named the worker that ran it: together they ran them all, the killed worker and its
    // replacement among them (the replacement may have come too late for any call).
    assertThat(result.workers().stream().mapToLong(DemoResult.WorkerShare::calls).sum()).isEqualTo(result.ok());
    assertThat(result.workers()).extracting(DemoResult.WorkerShare::workerId)
        .contains(result.kill().workerId(), result.kill().replacement().workerId());
    assertThat(result.workers()).filteredOn(w -> w.workerId().equals(result.kill().replacement().workerId()))
        .singleElement().extracting(DemoResult.WorkerShare::pid).isEqualTo(result.kill().replacement().pid());
    assertThat(result.workers()).filteredOn(w -> w.calls() > 0)
        .allSatisfy(w -> assertThat(w.ran().median()).isPositive());
    assertThat(DemoReport.render(result)).contains("workers (queued", "killed with SIGKILL after",
        "replaced " + result.kill().workerId());
  }

  @Test
  void runsWithoutFailuresWhenNothingIsKilled() throws Exception {
    DemoResult result = new DemoRun(new DemoSettings(1, 60, 2, false, TestPython.get()), new Captured().terminal).run();

    assertThat(result.passed()).as(String.join("; ", result.problems())).isTrue();
    assertThat(result.ok()).isEqualTo(60);
    assertThat(result.failures()).isEmpty();
    assertThat(result.kill()).isNull();
    assertThat(result.afterRun().workersReplaced()).isZero();
    assertThat(result.latencies().count()).isEqualTo(60);
    assertThat(result.latencies().median()).isPositive();
    assertThat(result.workers()).singleElement().satisfies(w -> {
      assertThat(w.calls()).isEqualTo(60);
      assertThat(w.pid()).isPositive();
    });
  }

  @Test
  void exitsWithStatus0AndPrintsTheSummaryThroughTheCommand() {
    Captured captured = new Captured();
    int status = new Main().run(List.of("demo", "--workers", "2", "--calls", "90", "--threads", "3",
        "--python", TestPython.command()), captured.terminal);

    assertThat(status).as(captured.out() + captured.err()).isZero();
    assertThat(captured.out()).contains("summary", "calls ok", "latency p99", "worker restarts", "workers (queued",
        "demo passed");
  }
}
