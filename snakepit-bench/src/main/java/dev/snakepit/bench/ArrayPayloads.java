package dev.snakepit.bench;

import dev.snakepit.Call;
import dev.snakepit.NdArray;
import dev.snakepit.Snakepit;
import dev.snakepit.cli.TextTable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How fast float64 arrays cross, each way, at 1, 64 and 256 MiB, and a 1 MiB array's echo (there and
 * back in one call). Java to Python sends an {@link NdArray} to a tool that returns its size in bytes;
 * Python to Java calls a tool that returns a numpy array it made once. MB/s is the array's size over
 * the median call time; an echo's counts the array once.
 */
final class ArrayPayloads {
  static final int[] SIZES = {1 << 20, 64 << 20, 256 << 20};

  /** One measurement; {@code echoMBps} only for 1 MiB, else NaN. */
  record Row(int bytes, double toPythonMBps, double toJavaMBps, double echoMBps) {}

  private ArrayPayloads() {}

  static List<Row> run(BenchPython python, boolean quick) throws Exception {
    List<Row> rows = new ArrayList<>();
    // A 256 MiB array and its frame: above the default maximum frame size of 128 MiB.
    try (Snakepit pool = Snakepit.start(python.pool("arrays", 1).maxFrameBytes((256 << 20) + (1 << 20)).build())) {
      for (int size : SIZES) {
        if (quick && size > (64 << 20)) {
          continue;
        }
        ByteBuffer data = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size / 8; i++) {
          data.putDouble(i * 8, i);
        }
        NdArray array = NdArray.wrap(NdArray.DType.FLOAT64, new long[] {size / 8}, data);
        int repeats = size >= (256 << 20) ? 9 : size >= (64 << 20) ? 15 : 200;
        Call to = Call.of("take_array").withArg("data", array);
        Call from = Call.of("make_array").withArg("n", size);
        Call echo = Call.of("echo").withArg("value", array);
        pool.execute(to); // warm-up, and the worker makes its array once
        pool.execute(from);
        double toPython = size / Payloads.median(pool, to, repeats) / 1e6;
        double toJava = size / Payloads.median(pool, from, repeats) / 1e6;
        double echoed = size == SIZES[0] ? size / Payloads.median(pool, echo, repeats) / 1e6 : Double.NaN;
        rows.add(new Row(size, toPython, toJava, echoed));
        System.out.printf(Locale.ROOT, "  float64 %s: to Python %.0f MB/s, to Java %.0f MB/s%s%n", Payloads.size(size), toPython,
            toJava, Double.isNaN(echoed) ? "" : String.format(Locale.ROOT, ", echo %.0f MB/s", echoed));
      }
    }
    return rows;
  }

  static String table(List<Row> rows) {
    TextTable table = new TextTable(List.of("float64 array", "Java to Python", "Python to Java", "echo (both ways)"));
    for (Row row : rows) {
      table.row(Payloads.size(row.bytes()), mbps(row.toPythonMBps()), mbps(row.toJavaMBps()),
          Double.isNaN(row.echoMBps()) ? "" : mbps(row.echoMBps()));
    }
    return table.renderMarkdown();
  }

  private static String mbps(double value) {
    return String.format(Locale.ROOT, "%,.0f MB/s", value);
  }
}
