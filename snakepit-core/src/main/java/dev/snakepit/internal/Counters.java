package dev.snakepit.internal;

import java.util.concurrent.atomic.LongAdder;

/** A pool's running totals. Each only grows. */
public final class Counters {
  public final LongAdder callsSucceeded = new LongAdder();
  public final LongAdder callsFailed = new LongAdder();
  public final LongAdder workersStarted = new LongAdder();
  public final LongAdder workersCrashed = new LongAdder();
  public final LongAdder workersReplaced = new LongAdder();
}
