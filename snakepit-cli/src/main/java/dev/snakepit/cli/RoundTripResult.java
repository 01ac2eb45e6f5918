package dev.snakepit.cli;

import java.util.List;

/**
 * What {@code snakepit roundtrip} measured: the latencies of both sides over all rounds, and whether
 * every process it started is gone.
 *
 * @param python the interpreter both sides ran on
 * @param calls calls per round and side
 * @param rounds how many rounds
 * @param payloadBytes the raw echo's payload size
 * @param raw latencies of the raw socket echo
 * @param rawNanos total time of the raw calls
 * @param pool latencies of {@code pool.execute("ping")}
 * @param poolNanos total time of the pool calls
 * @param roundMedians per round, the medians in nanoseconds: {raw, pool}
 * @param serverPid the echo server's pid
 * @param leftovers pids of processes this run started that are still alive; should be empty
 */
record RoundTripResult(
    PythonCommand python,
    int calls,
    int rounds,
    int payloadBytes,
    Latencies raw,
    long rawNanos,
    Latencies pool,
    long poolNanos,
    List<long[]> roundMedians,
    long serverPid,
    List<Long> leftovers) {

  RoundTripResult {
    roundMedians = List.copyOf(roundMedians);
    leftovers = List.copyOf(leftovers);
  }

  /** The pool's median over the raw echo's median. */
  double ratio() {
    return (double) pool.median() / raw.median();
  }
}
