package dev.snakepit.bench;

import dev.snakepit.Snakepit;
import dev.snakepit.bench.References.Named;
import dev.snakepit.bench.References.Plan;
import dev.snakepit.bench.References.Rate;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code @tool(concurrency=N)} buys a tool that waits, as one calling a remote service does: 8
 * threads call one worker in a loop, each call waiting {@link #WAIT_MILLIS} ms, with the tool at
 * concurrency 1 (async, run one call at a time), at 8 (async, on the worker's loop for such tools) and
 * at 8 on threads. The sides take turns in rounds, as the references' 8-thread rows do.
 */
final class Concurrency {
  static final int WAIT_MILLIS = 5;

  private Concurrency() {}

  static String run(BenchPython python, boolean quick) throws Exception {
    Plan plan = Plan.of(quick);
    Map<String, Object> wait = Map.of("seconds", WAIT_MILLIS / 1e3);
    try (Snakepit pool = Snakepit.start(python.pool("concurrency", 1).maxQueue(64).build())) {
      List<Rate> rates = References.threads(plan, List.of(
          new Named("async, concurrency 1", () -> pool.execute("io_wait", wait)),
          new Named("async, concurrency 8", () -> pool.execute("io_wait8", wait)),
          new Named("8 threads, concurrency 8", () -> pool.execute("io_wait_threads", wait))));
      double ideal = References.THREADS * 1e3 / WAIT_MILLIS;
      return String.format(Locale.ROOT, "%d threads calling a one-worker pool, each call waiting %d ms in Python (at most %,.0f"
          + " calls/s for 8 at once, %,.0f for one at a time):%n%n", References.THREADS, WAIT_MILLIS, ideal, 1e3 / WAIT_MILLIS)
          + References.threadsTable(rates)
          + String.format(Locale.ROOT, "%nConcurrency 8 against 1: %.1fx (async), %.1fx (threads).%n",
              rates.get(1).median() / rates.get(0).median(), rates.get(2).median() / rates.get(0).median());
    }
  }
}
