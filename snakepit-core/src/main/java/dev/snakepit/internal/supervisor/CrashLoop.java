package dev.snakepit.internal.supervisor;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * The crash-loop circuit: when {@code limit} workers have crashed within {@code window}, the pool is
 * crash-looping, and a replacement waits until fewer than {@code limit} crashes fall within the window
 * again. So at most {@code limit} replacements start per window: a pool whose workers die as fast as
 * they start (a bad deployment, a machine out of memory) stops burning CPU on restarts, reports itself
 * unhealthy, and recovers by itself once workers stay up. Confined to the control loop.
 */
final class CrashLoop {
  private final int limit;
  private final long windowNanos;
  /** When recent workers crashed, oldest first, in {@link dev.snakepit.internal.Ticker} terms. */
  private final ArrayDeque<Long> crashes = new ArrayDeque<>();

  CrashLoop(int limit, Duration window) {
    this.limit = limit;
    this.windowNanos = window.toNanos();
  }

  /** Records a crash at {@code now}. */
  void crashed(long now) {
    crashes.addLast(now);
    forgetBefore(now);
  }

  /** Whether {@code limit} or more crashes fall within the window ending at {@code now}. */
  boolean looping(long now) {
    forgetBefore(now);
    return crashes.size() >= limit;
  }

  /** How long from {@code now} a replacement must wait: zero unless looping. */
  long holdNanos(long now) {
    if (!looping(now)) {
      return 0;
    }
    // Fewer than limit crashes remain once the oldest (size - limit + 1) have left the window.
    int skip = crashes.size() - limit;
    long deciding = crashes.stream().skip(skip).findFirst().orElseThrow();
    return Math.max(0, deciding + windowNanos - now);
  }

  int crashesInWindow(long now) {
    forgetBefore(now);
    return crashes.size();
  }

  int limit() {
    return limit;
  }

  Duration window() {
    return Duration.ofNanos(windowNanos);
  }

  private void forgetBefore(long now) {
    while (!crashes.isEmpty() && now - crashes.peekFirst() >= windowNanos) {
      crashes.removeFirst();
    }
  }
}
