package dev.snakepit.bench;

import dev.snakepit.cli.SideBySide;
import java.util.Arrays;

/** The medians the sections quote: of a step's time over repeats, and of a side's figures over rounds. */
final class Medians {
  private Medians() {}

  /** The median time of {@code repeats} runs of {@code step}, in seconds. */
  static double seconds(int repeats, SideBySide.Side step) throws Exception {
    long[] nanos = new long[repeats];
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      step.call();
      nanos[i] = System.nanoTime() - start;
    }
    Arrays.sort(nanos);
    return nanos[(repeats - 1) / 2] / 1e9;
  }

  /** The median of {@code values} (the lower of the middle two for an even count); they are not changed. */
  static double of(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }
}
