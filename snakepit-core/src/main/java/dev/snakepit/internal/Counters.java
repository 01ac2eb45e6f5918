package dev.snakepit.internal;

import dev.snakepit.RecycleReason;
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
  private final Map<RecycleReason, LongAdder> recycles = new EnumMap<>(RecycleReason.class);

  public Counters() {
    for (RecycleReason reason : RecycleReason.values()) {
      recycles.put(reason, new LongAdder());
    }
  }

  public void recycled(RecycleReason reason) {
    recycles.get(reason).increment();
  }

  /** The recycles so far, by reason. */
  public Map<RecycleReason, Long> recycles() {
    Map<RecycleReason, Long> counts = new EnumMap<>(RecycleReason.class);
    recycles.forEach((reason, adder) -> counts.put(reason, adder.sum()));
    return counts;
  }
}
