package dev.snakepit.server.internal;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The latencies of the calls that ended in the current second, as counts in buckets 10% wide from 1 µs
 * to about 3 minutes, so percentiles cost a fixed 200 longs a second however many calls there are.
 * {@link #roll()} hands the finished second over and starts the next; a call recorded during the swap
 * may land in either second.
 */
final class LatencyWindow {
  static final int BUCKETS = 200;
  private static final double GROWTH = 1.1;
  private static final double LOG_GROWTH = Math.log(GROWTH);

  private final AtomicReference<AtomicLongArray> current = new AtomicReference<>(new AtomicLongArray(BUCKETS + 1));

  void record(long nanos, boolean failed) {
    AtomicLongArray counts = current.get();
    counts.incrementAndGet(bucket(nanos));
    if (failed) {
      counts.incrementAndGet(BUCKETS); // the last slot counts failures
    }
  }

  /** The second that just ended. */
  Second roll() {
    AtomicLongArray done = current.getAndSet(new AtomicLongArray(BUCKETS + 1));
    long[] counts = new long[BUCKETS];
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] = done.get(i);
      total += counts[i];
    }
    return new Second(total, done.get(BUCKETS), percentile(counts, total, 0.50), percentile(counts, total, 0.95),
        percentile(counts, total, 0.99));
  }

  /** One second: calls ended, of which failed, and latency percentiles in milliseconds (NaN with no calls). */
  record Second(long calls, long failed, double p50, double p95, double p99) {}

  static int bucket(long nanos) {
    double micros = Math.max(nanos, 1_000L) / 1_000.0;
    int index = (int) Math.floor(Math.log(micros) / LOG_GROWTH);
    return Math.min(Math.max(index, 0), BUCKETS - 1);
  }

  /** The upper edge of {@code bucket}, in milliseconds: a percentile is never reported lower than it was. */
  static double upperMillis(int bucket) {
    return Math.pow(GROWTH, bucket + 1) / 1_000.0;
  }

  private static double percentile(long[] counts, long total, double q) {
    if (total == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return upperMillis(i);
      }
    }
    return upperMillis(counts.length - 1);
  }
}
