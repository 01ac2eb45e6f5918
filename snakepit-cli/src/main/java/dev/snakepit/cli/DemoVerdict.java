package dev.snakepit.cli;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Judges a demo run. It passes only if every call returned the right value or failed because the
 * killed worker was running it (WORKER_CRASHED, at most {@link DemoResult#MAX_CRASHED_CALLS}), the
 * pool saw the death, came back to full size and health, closed, and no worker process outlived it.
 */
final class DemoVerdict {
  private DemoVerdict() {}

  /** Why {@code r} fails, one sentence each; empty when it passes. */
  static List<String> problems(DemoResult r) {
    List<String> problems = new ArrayList<>();
    DemoSettings s = r.settings();
    long finished = r.ok() + r.failed() + r.wrong();
    if (finished < s.calls()) {
      problems.add("only " + finished + " of " + s.calls() + " calls finished");
    }
    if (r.wrong() > 0) {
      problems.add(r.wrong() + " call(s) returned a wrong result; the first: " + r.firstWrong());
    }
    for (Map.Entry<ErrorKind, Long> e : r.failures().entrySet()) {
      if (e.getKey() != ErrorKind.WORKER_CRASHED || r.kill() == null) {
        problems.add(e.getValue() + " call(s) failed with " + e.getKey() + "; the first: " + r.firstFailures().get(e.getKey()));
      }
    }
    long crashed = r.failures().getOrDefault(ErrorKind.WORKER_CRASHED, 0L);
    if (r.kill() != null && crashed > DemoResult.MAX_CRASHED_CALLS) {
      problems.add(crashed + " calls failed with WORKER_CRASHED after one kill; at most " + DemoResult.MAX_CRASHED_CALLS
          + " may");
    }
    if (s.kill() && r.kill() == null) {
      problems.add("no worker was killed");
    } else if (r.kill() != null && r.kill().crash() == null) {
      problems.add("the pool never reported the death of killed worker pid " + r.kill().pid());
    }
    if (!r.recovered()) {
      problems.add("the pool did not recover to " + s.workers() + " ready workers within "
          + DemoRun.RECOVERY_LIMIT.toSeconds() + " s [" + r.afterRun().describe() + ", replaced "
          + r.afterRun().workersReplaced() + "]");
    }
    if (r.afterClose().state() != PoolStats.State.CLOSED || r.afterClose().workers() != 0) {
      problems.add("the pool is not closed after close() [" + r.afterClose().state() + ", " + r.afterClose().describe()
          + "]");
    }
    if (!r.aliveAfterClose().isEmpty()) {
      problems.add("worker process(es) still alive " + DemoRun.EXIT_LIMIT.toSeconds() + " s after close: pids "
          + r.aliveAfterClose());
    }
    return problems;
  }
}
