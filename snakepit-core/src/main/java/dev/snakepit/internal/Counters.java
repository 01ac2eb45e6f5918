package dev.snakepit.internal;

import dev.snakepit.RecycleReason;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** A pool's running totals. Each only grows. */
public final class Counters {
  public final LongAdder callsSucceeded = new LongAdder();
  public final LongAdder callsFailed = new LongAdder();
  public final LongAdder callsRetried = new LongAdder();
  public final LongAdder workersStarted = new LongAdder();
  public final LongAdder workersCrashed = new LongAdder();
  public final LongAdder workersReplaced = new LongAdder();
  /** Items of streamed calls that arrived from workers. */
  public final LongAdder streamItems = new LongAdder();
  private final Map<RecycleReason, LongAdder> recycles = new EnumMap<>(RecycleReason.class);

  /** When recent workers crashed, oldest first ({@link Ticker} terms); at most {@link #RECENT_CRASHES} kept. */
  private final ArrayDeque<Long> recentCrashes = new ArrayDeque<>();
  private static final int RECENT_CRASHES = 10_000;

  public Counters() {
    for (RecycleReason reason : RecycleReason.values()) {
      recycles.put(reason, new LongAdder());
    }
  }

  public void recycled(RecycleReason reason) {
    recycles.get(reason).increment();
  }

  /** A worker crashed at {@code nowNanos}. */
  public void crashed(long nowNanos) {
    workersCrashed.increment();
    synchronized (recentCrashes) {
      recentCrashes.addLast(nowNanos);
      if (recentCrashes.size() > RECENT_CRASHES) {
        recentCrashes.removeFirst();
      }
    }
  }

  /** How many workers crashed within {@code windowNanos} before {@code nowNanos}. */
  public int crashesWithin(long windowNanos, long nowNanos) {
    synchronized (recentCrashes) {
      while (!recentCrashes.isEmpty() && nowNanos - recentCrashes.peekFirst() >= windowNanos) {
        recentCrashes.removeFirst();
      }
      return recentCrashes.size();
    }
  }

  /** The recycles so far, by reason. */
  public Map<RecycleReason, Long> recycles() {
    Map<RecycleReason, Long> counts = new EnumMap<>(RecycleReason.class);
    recycles.forEach((reason, adder) -> counts.put(reason, adder.sum()));
    return counts;
  }
}
