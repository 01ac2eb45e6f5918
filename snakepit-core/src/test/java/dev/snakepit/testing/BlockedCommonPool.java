package dev.snakepit.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Holds every thread of the JVM's common {@link ForkJoinPool} until closed, in a wait the common pool
 * does not make up for with a spare thread, as an application's blocking tasks do (a parallel stream
 * doing I/O, a {@code supplyAsync} waiting on a lock, a task that joins a thread). Whatever a pool
 * leaves to the common pool (the JDK's {@code Process.onExit()} does, for one) then never runs.
 */
public final class BlockedCommonPool implements AutoCloseable {
  private static final Duration BOUND = Duration.ofSeconds(10);

  private final CountDownLatch release = new CountDownLatch(1);
  private final List<CompletableFuture<Void>> holders = new ArrayList<>();

  private BlockedCommonPool() {}

  /** Blocks every thread of the common pool; returns once each one is held. */
  public static BlockedCommonPool block() {
    BlockedCommonPool blocked = new BlockedCommonPool();
    int threads = ForkJoinPool.getCommonPoolParallelism();
    CountDownLatch held = new CountDownLatch(threads);
    for (int i = 0; i < threads; i++) {
      blocked.holders.add(CompletableFuture.runAsync(() -> {
        held.countDown();
        blocked.hold();
      }, ForkJoinPool.commonPool()));
    }
    try {
      if (!held.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
        blocked.close();
        throw new IllegalStateException("only " + (threads - held.getCount()) + " of the common pool's " + threads
            + " threads took a task within " + BOUND.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      blocked.close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while blocking the common pool", e);
    }
    return blocked;
  }

  /** Lets every held thread go, and waits until each has left its task. */
  @Override
  public void close() {
    release.countDown();
    try {
      CompletableFuture.allOf(holders.toArray(CompletableFuture[]::new)).get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the common pool's threads did not let go within " + BOUND.toSeconds() + " s", e);
    }
  }

  /** AQS waits (CountDownLatch, ReentrantLock) park without telling the common pool, unlike a Condition's. */
  private void hold() {
    boolean interrupted = false;
    while (true) {
      try {
        release.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
