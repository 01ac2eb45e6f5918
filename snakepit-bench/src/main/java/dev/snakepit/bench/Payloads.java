package dev.snakepit.bench;

import dev.snakepit.Call;
import dev.snakepit.Snakepit;
import dev.snakepit.cli.TextTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How fast payloads cross, each way: bytes and nested JSON (a list of small records) from 100 B to
 * 64 MiB. Java to Python sends the payload to a tool that returns its length; Python to Java calls a
 * tool that makes it. MB/s is the payload's size over the median call time.
 */
final class Payloads {
  static final int[] SIZES = {100, 10 << 10, 1 << 20, 16 << 20, 64 << 20};
  private static final int RECORD_BYTES = 64;

  /** One measurement. */
  record Row(String kind, int bytes, double toPythonMBps, double toJavaMBps) {}

  private Payloads() {}

  static List<Row> run(BenchPython python) throws Exception {
    List<Row> rows = new ArrayList<>();
    try (Snakepit pool = Snakepit.start(python.pool("payloads", 1).build())) {
      for (String kind : List.of("bytes", "json")) {
        for (int size : SIZES) {
          Object payload = kind.equals("bytes") ? bytes(size) : json(size);
          // Large bytes calls take tens of milliseconds and a stray pause of the machine is as long:
          // at least 9 of them, so that the median stands. A call with 64 MiB of JSON takes seconds.
          int repeats = Math.max(kind.equals("bytes") ? 9 : 3, Math.min(200, (64 << 20) / size / 4));
          Call to = Call.of("take").withArg("data", payload);
          Call from = Call.of(kind.equals("bytes") ? "make_bytes" : "make_json").withArg("n", size);
          pool.execute(to); // warm-up
          pool.execute(from);
          double toPython = size / median(pool, to, repeats) / 1e6;
          double toJava = size / median(pool, from, repeats) / 1e6;
          rows.add(new Row(kind, size, toPython, toJava));
          System.out.printf(Locale.ROOT, "  %s %s: to Python %.1f MB/s, to Java %.1f MB/s%n", kind, size(size), toPython, toJava);
        }
      }
    }
    return rows;
  }

  /** The median time of {@code repeats} calls, in seconds. */
  static double median(Snakepit pool, Call call, int repeats) throws Exception {
    return Medians.seconds(repeats, () -> pool.execute(call));
  }

  static byte[] bytes(int size) {
    byte[] data = new byte[size];
    Arrays.fill(data, (byte) 0x5a);
    return data;
  }

  /** A list of records of about {@code size} bytes once encoded, like the Python side's make_json. */
  static List<Map<String, Object>> json(int size) {
    int count = Math.max(1, size / RECORD_BYTES);
    List<Map<String, Object>> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("id", i);
      record.put("name", String.format(Locale.ROOT, "item-%06d", i));
      record.put("tags", List.of("a", "b"));
      record.put("score", 0.5);
      records.add(record);
    }
    return records;
  }

  static String size(int bytes) {
    if (bytes >= 1 << 20) {
      return (bytes >> 20) + " MiB";
    }
    return bytes >= 1 << 10 ? (bytes >> 10) + " KiB" : bytes + " B";
  }

  static String table(List<Row> rows) {
    TextTable table = new TextTable(List.of("payload", "size", "Java to Python", "Python to Java"));
    for (Row r : rows) {
      table.row(r.kind(), size(r.bytes()), String.format(Locale.ROOT, "%,.1f MB/s", r.toPythonMBps()),
          String.format(Locale.ROOT, "%,.1f MB/s", r.toJavaMBps()));
    }
    return table.renderMarkdown();
  }
}
