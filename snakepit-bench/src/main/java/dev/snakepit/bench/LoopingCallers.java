package dev.snakepit.bench;

import dev.snakepit.cli.SideBySide;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Calls per second of a number of threads each calling a side in a loop for a fixed time (a pool's in
 * {@link Throughput}, and the references' sides): all threads start on one latch, the window is fixed
 * before they start, and the rate is the calls completed over the time until the last thread stopped.
 * A call that fails stops every thread and is thrown.
 */
final class LoopingCallers {
  private LoopingCallers() {}

  static double rate(SideBySide.Side side, int callers, Duration duration) throws Exception {
    LongAdder done = new LongAdder();
    AtomicReference<Exception> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch finished = new CountDownLatch(callers);
    long[] window = new long[2]; // written before start.countDown(), which publishes it to the callers
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      threads.add(Thread.ofPlatform().name("bench-caller-" + i).start(() -> {
        try {
          start.await();
          long end = window[1];
          while (System.nanoTime() - end < 0 && failure.get() == null) {
            side.call();
            done.increment();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (Exception e) {
          failure.compareAndSet(null, e);
        } finally {
          finished.countDown();
        }
      }));
    }
    window[0] = System.nanoTime();
    window[1] = window[0] + duration.toNanos();
    start.countDown();
    finished.await();
    long elapsed = System.nanoTime() - window[0];
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    return done.sum() * 1e9 / elapsed;
  }
}
