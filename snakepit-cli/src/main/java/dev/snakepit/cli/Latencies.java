package dev.snakepit.cli;

import java.util.Arrays;
import java.util.Locale;

/**
 * Call latencies, sorted once so that any percentile is a lookup. Percentiles use the nearest-rank
 * method: the p-th percentile of n samples is the ceil(p/100 * n)-th smallest, so it is always a
 * measured value (the median of an even count is the lower middle one).
 */
public final class Latencies {
  private final long[] sortedNanos;

  private Latencies(long[] sortedNanos) {
    this.sortedNanos = sortedNanos;
  }

  /** The latencies in {@code nanos}, which is copied (the first {@code count} entries). */
  public static Latencies of(long[] nanos, int count) {
    if (count < 0 || count > nanos.length) {
      throw new IllegalArgumentException("count " + count + " is outside 0.." + nanos.length);
    }
    long[] copy = Arrays.copyOf(nanos, count);
    Arrays.sort(copy);
    return new Latencies(copy);
  }

  /** The latencies in {@code nanos}, which is copied. */
  public static Latencies of(long[] nanos) {
    return of(nanos, nanos.length);
  }

  public int count() {
    return sortedNanos.length;
  }

  /**
   * The {@code p}-th percentile in nanoseconds, {@code 0 < p <= 100}.
   *
   * @throws IllegalStateException if there are no samples
   */
  public long percentile(double p) {
    if (!(p > 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile " + p + " is outside (0, 100]");
    }
    if (sortedNanos.length == 0) {
      throw new IllegalStateException("no latencies were recorded");
    }
    int rank = (int) Math.ceil(p / 100.0 * sortedNanos.length);
    return sortedNanos[Math.max(rank, 1) - 1];
  }

  public long median() {
    return percentile(50);
  }

  public long max() {
    return percentile(100);
  }

  /** {@code nanos} in microseconds with one decimal, such as {@code 61.3 us}. */
  public static String micros(long nanos) {
    return String.format(Locale.ROOT, "%.1f us", nanos / 1_000.0);
  }

  /** {@code nanos} in milliseconds with two decimals, such as {@code 0.61 ms}. */
  public static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.2f ms", nanos / 1_000_000.0);
  }

  /** A rate such as {@code 2,914 calls/s}; {@code count} events in {@code nanos}. */
  public static String rate(long count, long nanos) {
    return nanos <= 0 ? "n/a" : String.format(Locale.ROOT, "%,.0f calls/s", count * 1e9 / nanos);
  }
}
