package dev.snakepit.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sequential calls of several sides, measured in one run: each side is warmed up, then the sides take
 * turns in rounds, in an order that rotates each round, so that drift in the load of a shared machine
 * hits every side alike. Percentiles are over all rounds; per-round medians show how steady they were.
 *
 * <p>Public for the benchmark module; not an API.
 */
public final class SideBySide {
  /** One side's call; throws if the call fails or answers wrongly. */
  public interface Side {
    void call() throws Exception;
  }

  /** One side's outcome: every latency, the time all its timed calls took, and the median of each round. */
  public record Result(String name, Latencies latencies, long totalNanos, long[] roundMedians) {
    public double callsPerSecond() {
      return latencies.count() * 1e9 / totalNanos;
    }
  }

  private final Map<String, Side> sides = new LinkedHashMap<>();

  public SideBySide add(String name, Side side) {
    sides.put(name, side);
    return this;
  }

  /**
   * Warms every side up with {@code warmup} calls, then runs {@code rounds} rounds of {@code calls} calls
   * per side, printing each round's medians to {@code progress}.
   */
  public List<Result> run(int warmup, int rounds, int calls, PrintStream progress) throws Exception {
    List<String> names = new ArrayList<>(sides.keySet());
    for (String name : names) {
      measure(sides.get(name), new long[warmup], 0, warmup);
    }
    Map<String, long[]> latencies = new LinkedHashMap<>();
    Map<String, long[]> medians = new LinkedHashMap<>();
    long[] totals = new long[names.size()];
    names.forEach(n -> {
      latencies.put(n, new long[rounds * calls]);
      medians.put(n, new long[rounds]);
    });
    for (int round = 0; round < rounds; round++) {
      StringBuilder line = new StringBuilder("  round " + (round + 1) + ": median");
      for (int k = 0; k < names.size(); k++) {
        int index = (k + round) % names.size();
        String name = names.get(index);
        long[] into = latencies.get(name);
        totals[index] += measure(sides.get(name), into, round * calls, calls);
        medians.get(name)[round] = Latencies.of(Arrays.copyOfRange(into, round * calls, (round + 1) * calls)).median();
      }
      for (int k = 0; k < names.size(); k++) {
        line.append(k == 0 ? " " : ", ").append(names.get(k)).append(' ').append(Latencies.micros(medians.get(names.get(k))[round]));
      }
      progress.println(line);
    }
    List<Result> results = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      results.add(new Result(name, Latencies.of(latencies.get(name)), totals[i], medians.get(name)));
    }
    return results;
  }

  /** Makes {@code count} calls, storing each latency at {@code offset + i}; returns the total time. */
  private static long measure(Side side, long[] into, int offset, int count) throws Exception {
    long begin = System.nanoTime();
    long last = begin;
    for (int i = 0; i < count; i++) {
      side.call();
      long now = System.nanoTime();
      into[offset + i] = now - last;
      last = now;
    }
    return last - begin;
  }
}
