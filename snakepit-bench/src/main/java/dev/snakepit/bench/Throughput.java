package dev.snakepit.bench;

import dev.snakepit.Call;
import dev.snakepit.Snakepit;
import dev.snakepit.cli.TextTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * Calls per second of a pool of 1, 2 and 4 workers under 1 to 16 concurrent callers, each calling in a
 * loop for a fixed time, for the no-op tool and for a CPU-bound one.
 */
final class Throughput {
  static final int[] WORKERS = {1, 2, 4};
  static final int[] CALLERS = {1, 2, 4, 8, 16};

  /** One cell: a tool, a pool size, a number of callers, and the rate measured. */
  record Cell(String tool, int workers, int callers, double callsPerSecond) {}

  private Throughput() {}

  static List<Cell> run(BenchPython python, Duration perCell, int primesBelow) throws Exception {
    List<Cell> cells = new ArrayList<>();
    for (int workers : WORKERS) {
      try (Snakepit pool = Snakepit.start(python.pool("throughput-" + workers, workers).maxQueue(64).build())) {
        Call noop = Call.of("ping");
        Call cpu = Call.of("cpu").withArg("n", primesBelow);
        rate(pool, noop, 4, perCell); // warm-up: the JIT, and every worker's first calls
        rate(pool, cpu, workers, perCell.dividedBy(2));
        for (int callers : CALLERS) {
          cells.add(new Cell("no-op", workers, callers, rate(pool, noop, callers, perCell)));
        }
        for (int callers : CALLERS) {
          cells.add(new Cell("cpu", workers, callers, rate(pool, cpu, callers, perCell)));
        }
        System.out.printf(Locale.ROOT, "  %d worker(s): %s%n", workers, cells.subList(cells.size() - 2 * CALLERS.length, cells.size())
            .stream().map(c -> String.format(Locale.ROOT, "%s/%d %.0f", c.tool(), c.callers(), c.callsPerSecond())).toList());
      }
    }
    return cells;
  }

  /** Calls per second of {@code callers} threads each calling {@code call} in a loop for {@code duration}. */
  static double rate(Snakepit pool, Call call, int callers, Duration duration) throws Exception {
    return LoopingCallers.rate(() -> pool.execute(call), callers, duration);
  }

  static String table(List<Cell> cells, String tool) {
    List<String> header = new ArrayList<>(List.of("workers"));
    for (int callers : CALLERS) {
      header.add(callers + (callers == 1 ? " caller" : " callers"));
    }
    TextTable table = new TextTable(header);
    for (int workers : WORKERS) {
      List<String> row = new ArrayList<>(List.of(Integer.toString(workers)));
      for (int callers : CALLERS) {
        row.add(String.format(Locale.ROOT, "%,.0f", find(cells, tool, workers, callers)));
      }
      table.row(row.toArray(String[]::new));
    }
    return table.renderMarkdown();
  }

  /** The scaling the target names: best rate of N workers over N times the best rate of one. */
  static String scaling(List<Cell> cells, String tool) {
    double one = best(cells, tool, 1);
    StringBuilder out = new StringBuilder();
    for (int workers : WORKERS) {
      if (workers > 1) {
        out.append(String.format(Locale.ROOT, "%d workers: %.2f of %d x one worker. ", workers,
            best(cells, tool, workers) / one / workers, workers));
      }
    }
    return out.toString().trim();
  }

  static double best(List<Cell> cells, String tool, int workers) {
    return cells.stream().filter(c -> c.tool().equals(tool) && c.workers() == workers).mapToDouble(Cell::callsPerSecond).max().orElse(0);
  }

  static double find(List<Cell> cells, String tool, int workers, int callers) {
    return cells.stream().filter(c -> c.tool().equals(tool) && c.workers() == workers && c.callers() == callers)
        .mapToDouble(Cell::callsPerSecond).findFirst().orElse(0);
  }
}
