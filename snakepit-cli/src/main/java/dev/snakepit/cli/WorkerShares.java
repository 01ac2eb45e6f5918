package dev.snakepit.cli;

import dev.snakepit.CallResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which worker ran each of the demo's calls, and how long the call waited for it and ran on it, as the
 * pool reports them ({@link CallResult}); summed up per worker once the calls are done.
 *
 * <p>Each call index has one writer, the caller thread that made the call; {@link #summary} runs after
 * those threads have ended.
 */
final class WorkerShares {
  /** Worker ids such as {@code w2} and {@code w10}, in the order the pool numbered them. */
  static final Comparator<String> BY_ID = Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder());

  /** The worker that ran call i, or null when it returned no expected value. */
  private final String[] workerOf;
  private final long[] queuedNanos;
  private final long[] ranNanos;
  private final Map<String, Long> pids = new ConcurrentHashMap<>();

  WorkerShares(int calls) {
    workerOf = new String[calls];
    queuedNanos = new long[calls];
    ranNanos = new long[calls];
  }

  /** Call {@code i} returned the expected value with {@code result}. */
  void record(int i, CallResult result) {
    workerOf[i] = result.workerId();
    queuedNanos[i] = result.queued().toNanos();
    ranNanos[i] = result.ran().toNanos();
    pids.putIfAbsent(result.workerId(), result.workerPid());
  }

  /**
   * One share per worker that ran a call, by worker id, and also the killed worker and its
   * replacement when they ran none (the replacement may be ready only when the calls are done).
   */
  List<DemoResult.WorkerShare> summary(DemoResult.Kill kill) {
    Map<String, List<Integer>> calls = new LinkedHashMap<>();
    for (int i = 0; i < workerOf.length; i++) {
      if (workerOf[i] != null) {
        calls.computeIfAbsent(workerOf[i], id -> new ArrayList<>()).add(i);
      }
    }
    if (kill != null && !kill.workerId().equals(WorkerWatch.UNKNOWN_ID)) {
      pids.putIfAbsent(kill.workerId(), kill.pid());
      calls.putIfAbsent(kill.workerId(), List.of());
      if (kill.replacement() != null) {
        pids.putIfAbsent(kill.replacement().workerId(), kill.replacement().pid());
        calls.putIfAbsent(kill.replacement().workerId(), List.of());
      }
    }
    List<DemoResult.WorkerShare> shares = new ArrayList<>();
    calls.keySet().stream().sorted(BY_ID).forEach(id -> {
      List<Integer> served = calls.get(id);
      long[] queued = new long[served.size()];
      long[] ran = new long[served.size()];
      for (int k = 0; k < served.size(); k++) {
        queued[k] = queuedNanos[served.get(k)];
        ran[k] = ranNanos[served.get(k)];
      }
      shares.add(new DemoResult.WorkerShare(id, pids.get(id), served.size(), Latencies.of(queued), Latencies.of(ran)));
    });
    return shares;
  }
}
