package dev.snakepit.bench;

import dev.snakepit.Call;
import dev.snakepit.NdArray;
import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import dev.snakepit.cli.TextTable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * How fast float64 arrays cross, each way, at 1, 64 and 256 MiB, and a 1 MiB array's echo (there and
 * back in one call), in a pool as configured by default (shared memory from 16 MiB, where /dev/shm is a
 * directory) and in one with shared memory off (every array through the socket). Java to Python sends
 * an {@link NdArray} to a tool that returns its size in bytes; Python to Java calls a tool that returns a
 * numpy array it made once. MB/s is the array's size over the median call time; an echo's counts the
 * array once.
 */
final class ArrayPayloads {
  static final int[] SIZES = {1 << 20, 64 << 20, 256 << 20};

  /** One measurement; {@code echoMBps} only for 1 MiB, else NaN. */
  record Row(int bytes, String pool, double toPythonMBps, double toJavaMBps, double echoMBps) {}

  /** A pool to measure: its name in the table, and what it changes of the defaults. */
  private record Setup(String name, UnaryOperator<PoolConfig.Builder> change) {}

  private static final List<Setup> SETUPS = List.of(
      new Setup("sharedMemory(true) (from 16 MiB)", builder -> builder.sharedMemory(true)),
      new Setup("default (the socket)", UnaryOperator.identity()));

  private ArrayPayloads() {}

  /**
   * Measures the pools of {@link #SETUPS} and, with {@code hugePages} (a tmpfs mounted with
   * {@code huge=always}; null for none), a third pool with its shared memory there.
   */
  static List<Row> run(BenchPython python, boolean quick, Path hugePages) throws Exception {
    List<Row> rows = new ArrayList<>();
    List<Snakepit> pools = new ArrayList<>();
    List<Setup> setups = new ArrayList<>(SETUPS);
    if (hugePages != null) {
      setups.add(1, new Setup("sharedMemoryDirectory(huge-page tmpfs)", builder -> builder.sharedMemoryDirectory(hugePages)));
    }
    try {
      for (Setup setup : setups) {
        // A 256 MiB array and its frame: above the default maximum frame size of 128 MiB.
        pools.add(Snakepit.start(setup.change().apply(python.pool("arrays", 1).maxFrameBytes((256 << 20) + (1 << 20))).build()));
      }
      // The JIT first, on every pool: whichever is measured first would otherwise pay for it.
      NdArray warm = NdArray.wrap(NdArray.DType.FLOAT64, new long[] {SIZES[0] / 8}, ByteBuffer.allocateDirect(SIZES[0]));
      for (int round = 0; round < 2; round++) {
        for (Snakepit pool : pools) {
          for (int i = 0; i < 500; i++) {
            pool.execute(Call.of("take_array").withArg("data", warm));
            pool.execute(Call.of("make_array").withArg("n", SIZES[0]));
            pool.execute(Call.of("echo").withArg("value", warm));
          }
        }
      }
      for (int size : SIZES) {
        if (quick && size > (64 << 20)) {
          continue;
        }
        ByteBuffer data = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size / 8; i++) {
          data.putDouble(i * 8, i);
        }
        NdArray array = NdArray.wrap(NdArray.DType.FLOAT64, new long[] {size / 8}, data);
        for (int i = 0; i < setups.size(); i++) {
          rows.add(measure(pools.get(i), setups.get(i).name(), array, size));
        }
      }
    } finally {
      pools.forEach(Snakepit::close);
    }
    return rows;
  }

  /** The pools are measured one after the other at each size, each warmed up first, so that neither is favoured. */
  private static Row measure(Snakepit pool, String name, NdArray array, int size) throws Exception {
    int repeats = size >= (256 << 20) ? 9 : size >= (64 << 20) ? 15 : 200;
    Call to = Call.of("take_array").withArg("data", array);
    Call from = Call.of("make_array").withArg("n", size);
    Call echo = Call.of("echo").withArg("value", array);
    for (int i = 0; i < (size >= (64 << 20) ? 2 : 200); i++) { // warm-up (the JIT); the worker makes its array once
      pool.execute(to);
      pool.execute(from);
    }
    double toPython = size / Payloads.median(pool, to, repeats) / 1e6;
    double toJava = size / Payloads.median(pool, from, repeats) / 1e6;
    double echoed = size == SIZES[0] ? size / Payloads.median(pool, echo, repeats) / 1e6 : Double.NaN;
    System.out.printf(Locale.ROOT, "  float64 %s, %s: to Python %.0f MB/s, to Java %.0f MB/s%s%n", Payloads.size(size), name,
        toPython, toJava, Double.isNaN(echoed) ? "" : String.format(Locale.ROOT, ", echo %.0f MB/s", echoed));
    return new Row(size, name, toPython, toJava, echoed);
  }

  static String table(List<Row> rows) {
    TextTable table = new TextTable(List.of("float64 array", "pool", "Java to Python", "Python to Java", "echo (both ways)"));
    for (Row row : rows) {
      table.row(Payloads.size(row.bytes()), row.pool(), mbps(row.toPythonMBps()), mbps(row.toJavaMBps()),
          Double.isNaN(row.echoMBps()) ? "" : mbps(row.echoMBps()));
    }
    return table.renderMarkdown();
  }

  private static String mbps(double value) {
    return String.format(Locale.ROOT, "%,.0f MB/s", value);
  }
}
