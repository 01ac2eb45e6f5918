package dev.snakepit.cli;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolStats;
import dev.snakepit.spi.WorkerEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a demo run did and found. {@link #passed()} is the verdict; {@link #problems()} says what failed.
 *
 * @param settings what was asked
 * @param ok calls that returned the expected value
 * @param failures calls that threw, by kind
 * @param firstFailures the message of the first failure of each kind
 * @param wrong calls that returned an unexpected value or threw something other than a SnakepitException
 * @param firstWrong a description of the first such call, or {@code null}
 * @param latencies the latencies of the calls that were ok
 * @param workers what each worker did for the calls that were ok, by worker id; see {@link WorkerShare}
 * @param elapsedNanos from the first call's start to the last call's end
 * @param kill what happened to the killed worker, or {@code null} without a kill
 * @param afterRun the pool's stats once the calls were done and the pool had recovered (or given up)
 * @param recovered whether the pool was back at full size and healthy after the run
 * @param afterClose the pool's stats after {@code close()}
 * @param workersSeen how many worker processes the pool had over the run
 * @param aliveAfterClose the pids of those still alive after close (and a bounded wait); should be empty
 * @param problems why the run failed, empty when it passed
 */
record DemoResult(
    DemoSettings settings,
    long ok,
    Map<ErrorKind, Long> failures,
    Map<ErrorKind, String> firstFailures,
    long wrong,
    String firstWrong,
    Latencies latencies,
    List<WorkerShare> workers,
    long elapsedNanos,
    Kill kill,
    PoolStats afterRun,
    boolean recovered,
    PoolStats afterClose,
    int workersSeen,
    List<Long> aliveAfterClose,
    List<String> problems) {

  /**
   * How many calls may fail, all with WORKER_CRASHED, when a worker is killed. A worker runs one call
   * at a time, so a kill should fail one call at most; the small margin keeps a loaded machine from
   * failing the demo, and the report still shows every failure.
   */
  static final int MAX_CRASHED_CALLS = 5;

  DemoResult {
    failures = Map.copyOf(failures);
    firstFailures = Map.copyOf(firstFailures);
    workers = List.copyOf(workers);
    aliveAfterClose = List.copyOf(aliveAfterClose);
    problems = List.copyOf(problems);
  }

  /**
   * The worker the demo killed.
   *
   * @param pid its process id
   * @param workerId its id in the pool
   * @param afterCalls how many calls were done when it was killed
   * @param crash the pool's crash event for it, or {@code null} if none came
   * @param replacement the worker that replaced it, or {@code null} if none became ready
   * @param recoveryNanos from the kill until the replacement was ready, or -1
   */
  record Kill(long pid, String workerId, long afterCalls, WorkerEvent crash, WorkerEvent replacement, long recoveryNanos) {}

  /**
   * One worker's part in the run, from the pool's {@link dev.snakepit.CallResult}s of the calls that
   * were ok: the killed worker and its replacement are listed even when they ran none of them.
   *
   * @param workerId its id in the pool
   * @param pid its process id
   * @param calls how many of the ok calls it ran
   * @param queued how long those calls waited for it: from the pool's acceptance to the hand-over
   * @param ran how long they took on it: from the hand-over until its reply was read
   */
  record WorkerShare(String workerId, long pid, long calls, Latencies queued, Latencies ran) {}

  /** This result with {@code more} problems after its own. */
  DemoResult withProblems(List<String> more) {
    List<String> all = new ArrayList<>(problems);
    all.addAll(more);
    return new DemoResult(settings, ok, failures, firstFailures, wrong, firstWrong, latencies, workers, elapsedNanos, kill, afterRun,
        recovered, afterClose, workersSeen, aliveAfterClose, all);
  }

  /** Whether the run met every expectation. */
  boolean passed() {
    return problems.isEmpty();
  }

  long failed() {
    return failures.values().stream().mapToLong(Long::longValue).sum();
  }
}
