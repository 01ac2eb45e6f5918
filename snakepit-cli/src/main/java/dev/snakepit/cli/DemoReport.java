package dev.snakepit.cli;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolStats;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The summary printed at the end of a demo run: a table of counts, latencies and pool health, a table of
 * what each worker did, then the verdict.
 */
final class DemoReport {
  private DemoReport() {}

  static String render(DemoResult r) {
    TextTable table = new TextTable(List.of("what", "value", "detail"));
    DemoSettings s = r.settings();
    table.row("calls ok", String.valueOf(r.ok()), "of " + s.calls() + "; every result checked against the expected value");
    table.row("calls failed", String.valueOf(r.failed() + r.wrong()), failedDetail(r));
    for (Map.Entry<ErrorKind, Long> e : new java.util.TreeMap<>(r.failures()).entrySet()) {
      table.row("  " + e.getKey(), String.valueOf(e.getValue()), failureDetail(r, e.getKey(), e.getValue()));
    }
    if (r.wrong() > 0) {
      table.row("  wrong result", String.valueOf(r.wrong()), abbreviate(r.firstWrong(), 90));
    }
    if (r.latencies().count() > 0) {
      table.row("latency p50", Latencies.millis(r.latencies().median()), "ok calls, timed in the calling thread");
      table.row("latency p99", Latencies.millis(r.latencies().percentile(99)),
          "max " + Latencies.millis(r.latencies().max()));
    }
    table.row("throughput", Latencies.rate(r.ok(), r.elapsedNanos()),
        String.format(Locale.ROOT, "%d calls in %.2f s from %d threads", r.ok() + r.failed() + r.wrong(),
            r.elapsedNanos() / 1e9, s.threads()));
    table.row("worker restarts", String.valueOf(r.afterRun().workersReplaced()), restartDetail(r));
    table.row("pool after run", r.recovered() ? "healthy" : "NOT RECOVERED", describe(r.afterRun()));
    table.row("pool after close", r.afterClose().state().name().toLowerCase(Locale.ROOT),
        r.aliveAfterClose().size() + " of " + r.workersSeen() + " worker processes alive"
            + (r.aliveAfterClose().isEmpty() ? "" : ": pids " + r.aliveAfterClose()));

    StringBuilder out = new StringBuilder("\nsummary\n").append(table.render(2)).append('\n');
    if (!r.workers().isEmpty()) {
      out.append(workers(r)).append('\n');
    }
    if (r.passed()) {
      out.append(r.kill() != null
          ? "demo passed: the pool lost a worker to SIGKILL, replaced it and kept serving; no worker process is left\n"
          : "demo passed: every call returned the expected value; no worker process is left\n");
    } else {
      out.append("demo FAILED:\n");
      r.problems().forEach(p -> out.append("  - ").append(p).append('\n'));
    }
    return out.toString();
  }

  /** Each worker's calls and their median times, as the pool reported them with each result. */
  static String workers(DemoResult r) {
    TextTable table = new TextTable(List.of("worker", "pid", "calls ok", "queued p50", "ran p50", "note"), 1, 2, 3, 4);
    DemoResult.Kill kill = r.kill();
    for (DemoResult.WorkerShare w : r.workers()) {
      String note = "";
      if (kill != null && w.workerId().equals(kill.workerId())) {
        note = "killed with SIGKILL after " + kill.afterCalls() + " calls";
      } else if (kill != null && kill.replacement() != null && w.workerId().equals(kill.replacement().workerId())) {
        note = String.format(Locale.ROOT, "replaced %s, ready %d ms after the kill", kill.workerId(),
            TimeUnit.NANOSECONDS.toMillis(kill.recoveryNanos()));
      }
      table.row(w.workerId(), String.valueOf(w.pid()), String.valueOf(w.calls()), median(w.queued()), median(w.ran()), note);
    }
    return "workers (queued: from a call's acceptance to its hand-over to the worker; ran: from then to its reply)\n"
        + table.render(2);
  }

  private static String median(Latencies latencies) {
    return latencies.count() == 0 ? "-" : Latencies.millis(latencies.median());
  }

  private static String failedDetail(DemoResult r) {
    if (r.failed() + r.wrong() > 0) {
      return "by kind:";
    }
    return r.kill() != null ? "the killed worker had no call in flight, so no call was lost" : "";
  }

  private static String failureDetail(DemoResult r, ErrorKind kind, long count) {
    if (kind == ErrorKind.WORKER_CRASHED && r.kill() != null) {
      String worker = r.kill().workerId() + " (pid " + r.kill().pid() + ")";
      return count == 1
          ? "the call that was running on the killed worker " + worker
          : "calls that were running on the killed worker " + worker + " or lost with it";
    }
    return abbreviate(r.firstFailures().get(kind), 90);
  }

  private static String restartDetail(DemoResult r) {
    PoolStats stats = r.afterRun();
    String counts = "workers started " + stats.workersStarted() + ", crashed " + stats.workersCrashed();
    DemoResult.Kill kill = r.kill();
    if (kill == null || kill.replacement() == null) {
      return counts;
    }
    return String.format(Locale.ROOT, "%s; %s (pid %d) ready %d ms after the kill", counts, kill.replacement().workerId(),
        kill.replacement().pid(), TimeUnit.NANOSECONDS.toMillis(kill.recoveryNanos()));
  }

  static String describe(PoolStats stats) {
    return String.format(Locale.ROOT, "%s; %d/%d workers ready (%d idle, %d busy), %d starting, %d queued",
        stats.state(), stats.idle() + stats.busy(), stats.targetSize(), stats.idle(), stats.busy(), stats.starting(),
        stats.queued());
  }

  private static String abbreviate(String text, int max) {
    if (text == null) {
      return "";
    }
    String oneLine = text.replaceAll("\\s*\\R\\s*", " | ");
    return oneLine.length() <= max ? oneLine : oneLine.substring(0, max - 3) + "...";
  }
}
