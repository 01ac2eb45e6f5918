package dev.snakepit.bench;

import dev.snakepit.BatchResult;
import dev.snakepit.Snakepit;
import dev.snakepit.cli.TextTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an item of a batch costs against a call of its own: {@code ping} (a no-op) called once per
 * item from one thread, and {@code pool.map("ping", items)} on one and on two workers, in rounds that
 * take turns so that the machine's noise hits every side alike. The figure is the median over the
 * rounds of a round's time divided by its items.
 */
final class Batches {
  /** One side: the median cost of an item, in microseconds. */
  record Row(String side, int workers, int items, double microsPerItem) {}

  private Batches() {}

  static List<Row> run(BenchPython python, int rounds, int singleCalls, int batchItems) throws Exception {
    System.out.printf("  %d rounds: %d single calls, then batches of %d items on 1 and 2 workers%n", rounds, singleCalls,
        batchItems);
    List<Map<String, ?>> items = new ArrayList<>(batchItems);
    for (int i = 0; i < batchItems; i++) {
      items.add(Map.of());
    }
    Map<String, Object> none = Map.of();
    try (Snakepit one = Snakepit.start(python.pool("batch-1", 1).build());
        Snakepit two = Snakepit.start(python.pool("batch-2", 2).build())) {
      for (int i = 0; i < Math.min(2_000, singleCalls); i++) {
        one.execute("ping", none);
      }
      for (int i = 0; i < 3; i++) {
        check(one.map("ping", items));
        check(two.map("ping", items));
      }
      double[] single = new double[rounds];
      double[] batchOne = new double[rounds];
      double[] batchTwo = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        long start = System.nanoTime();
        for (int i = 0; i < singleCalls; i++) {
          one.execute("ping", none);
        }
        single[r] = (System.nanoTime() - start) / 1e3 / singleCalls;
        start = System.nanoTime();
        check(one.map("ping", items));
        batchOne[r] = (System.nanoTime() - start) / 1e3 / batchItems;
        start = System.nanoTime();
        check(two.map("ping", items));
        batchTwo[r] = (System.nanoTime() - start) / 1e3 / batchItems;
      }
      List<Row> rows = List.of(new Row("single calls", 1, singleCalls, Medians.of(single)),
          new Row("map, 1 worker", 1, batchItems, Medians.of(batchOne)), new Row("map, 2 workers", 2, batchItems, Medians.of(batchTwo)));
      for (Row row : rows) {
        System.out.printf(Locale.ROOT, "  %s: %.2f us per item%n", row.side(), row.microsPerItem());
      }
      return rows;
    }
  }

  private static void check(BatchResult result) {
    if (result.failureCount() > 0) {
      throw new IllegalStateException("a benchmark batch failed: " + result + ": " + result.error(result.failedIndexes().getFirst())
          .orElseThrow().getMessage());
    }
  }

  /** The table, and the per-item cost of a batch on one worker against a single call (target: at most 0.1). */
  static String table(List<Row> rows) {
    TextTable table = new TextTable(List.of("side", "workers", "items", "us per item", "items/s", "vs single call"));
    double single = rows.getFirst().microsPerItem();
    for (Row row : rows) {
      table.row(row.side(), String.valueOf(row.workers()), String.format(Locale.ROOT, "%,d", row.items()),
          String.format(Locale.ROOT, "%.2f", row.microsPerItem()), String.format(Locale.ROOT, "%,.0f", 1e6 / row.microsPerItem()),
          String.format(Locale.ROOT, "%.3f", row.microsPerItem() / single));
    }
    return table.renderMarkdown() + String.format(Locale.ROOT, "%nAn item of a batch on one worker costs %.3f of a single no-op call"
        + " (target: at most 0.1).%n", rows.get(1).microsPerItem() / single);
  }
}
