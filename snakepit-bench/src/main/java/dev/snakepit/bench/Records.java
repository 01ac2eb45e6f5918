package dev.snakepit.bench;

import dev.snakepit.ArrowData;
import dev.snakepit.Call;
import dev.snakepit.Snakepit;
import dev.snakepit.arrow.ArrowTables;
import dev.snakepit.cli.TextTable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Records as Arrow tables against records as JSON, each way: the same rows (id int64, name string,
 * score float64, flag bool) as a {@code List<Map>} and as a {@code VectorSchemaRoot} (through
 * {@code snakepit-arrow}). Java to Python times the conversion to {@code ArrowData} and a tool that
 * returns the row count; Python to Java a tool returning rows it made once, and, for Arrow, reading
 * them into a root. The figure is the median call, and rows per second.
 */
final class Records {
  static final int[] ROWS = {10_000, 100_000};

  /** One size: median seconds per call, each way, for JSON and for Arrow. */
  record Row(int rows, double jsonToPython, double arrowToPython, double jsonToJava, double arrowToJava) {}

  private Records() {}

  static List<Row> run(BenchPython python, boolean quick) throws Exception {
    List<Row> rows = new ArrayList<>();
    try (Snakepit pool = Snakepit.start(python.pool("records", 1).build());
        BufferAllocator allocator = new RootAllocator()) {
      for (int n : ROWS) {
        int repeats = quick ? 3 : n >= 100_000 ? 9 : 31;
        List<Map<String, Object>> records = records(n);
        try (VectorSchemaRoot table = table(n, allocator)) {
          Call takeJson = Call.of("take_records").withArg("records", records);
          Call makeJson = Call.of("make_records").withArg("rows", n);
          Call makeTable = Call.of("make_table").withArg("rows", n);
          check(pool.execute(takeJson), n);
          check(pool.execute(Call.of("take_table").withArg("table", ArrowTables.toArrowData(table))), n);
          pool.execute(makeJson); // the worker makes its rows once
          pool.execute(makeTable);
          double jsonTo = Medians.seconds(repeats, () -> check(pool.execute(takeJson), n));
          double arrowTo = Medians.seconds(repeats, () -> check(pool.execute(Call.of("take_table")
              .withArg("table", ArrowTables.toArrowData(table))), n));
          double jsonFrom = Medians.seconds(repeats, () -> check(((List<?>) pool.execute(makeJson)).size(), n));
          double arrowFrom = Medians.seconds(repeats, () -> {
            try (VectorSchemaRoot back = ArrowTables.read((ArrowData) pool.execute(makeTable), allocator)) {
              check(back.getRowCount(), n);
            }
          });
          Row row = new Row(n, jsonTo, arrowTo, jsonFrom, arrowFrom);
          rows.add(row);
          System.out.printf(Locale.ROOT, "  %,d rows: to Python JSON %.1f ms, Arrow %.1f ms; to Java JSON %.1f ms, Arrow %.1f ms%n",
              n, jsonTo * 1e3, arrowTo * 1e3, jsonFrom * 1e3, arrowFrom * 1e3);
        }
      }
    }
    return rows;
  }

  private static void check(Object count, int rows) {
    if (!(count instanceof Number n) || n.longValue() != rows) {
      throw new IllegalStateException("expected " + rows + " rows to cross, got " + count);
    }
  }

  static List<Map<String, Object>> records(int n) {
    List<Map<String, Object>> records = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Map<String, Object> record = new LinkedHashMap<>(8);
      record.put("id", (long) i);
      record.put("name", String.format(Locale.ROOT, "item-%06d", i));
      record.put("score", i / 4.0);
      record.put("flag", i % 2 == 0);
      records.add(record);
    }
    return records;
  }

  static VectorSchemaRoot table(int n, BufferAllocator allocator) {
    BigIntVector id = new BigIntVector("id", allocator);
    VarCharVector name = new VarCharVector("name", allocator);
    Float8Vector score = new Float8Vector("score", allocator);
    BitVector flag = new BitVector("flag", allocator);
    id.allocateNew(n);
    name.allocateNew(n * 12L, n);
    score.allocateNew(n);
    flag.allocateNew(n);
    for (int i = 0; i < n; i++) {
      id.set(i, i);
      name.setSafe(i, String.format(Locale.ROOT, "item-%06d", i).getBytes(StandardCharsets.UTF_8));
      score.set(i, i / 4.0);
      flag.set(i, i % 2 == 0 ? 1 : 0);
    }
    VectorSchemaRoot root = VectorSchemaRoot.of(id, name, score, flag);
    root.setRowCount(n);
    return root;
  }

  static String table(List<Row> rows) {
    TextTable table = new TextTable(List.of("rows", "way", "JSON", "Arrow", "Arrow rows/s", "Arrow / JSON time"));
    for (Row r : rows) {
      table.row(String.format(Locale.ROOT, "%,d", r.rows()), "Java to Python", ms(r.jsonToPython()), ms(r.arrowToPython()),
          String.format(Locale.ROOT, "%,.0f", r.rows() / r.arrowToPython()), String.format(Locale.ROOT, "%.3f",
              r.arrowToPython() / r.jsonToPython()));
      table.row(String.format(Locale.ROOT, "%,d", r.rows()), "Python to Java", ms(r.jsonToJava()), ms(r.arrowToJava()),
          String.format(Locale.ROOT, "%,.0f", r.rows() / r.arrowToJava()), String.format(Locale.ROOT, "%.3f",
              r.arrowToJava() / r.jsonToJava()));
    }
    return table.renderMarkdown();
  }

  private static String ms(double seconds) {
    return String.format(Locale.ROOT, "%.2f ms", seconds * 1e3);
  }
}
