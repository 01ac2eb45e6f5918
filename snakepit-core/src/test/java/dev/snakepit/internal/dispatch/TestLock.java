package dev.snakepit.internal.dispatch;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The dispatcher's lock as a test holds it: changes made under it, and threads that take it and wait on
 * one of its conditions, started so that the test goes on only once the thread is parked there.
 */
final class TestLock {
  /** What a waiter does with the lock held: waits on a condition of it and returns what it found. */
  @FunctionalInterface
  interface Wait<T> {
    T await() throws InterruptedException;
  }

  /** A thread waiting under the lock, and what its wait returned. */
  static final class Waiter<T> {
    private final Thread thread;
    private final CompletableFuture<T> result;

    private Waiter(Thread thread, CompletableFuture<T> result) {
      this.thread = thread;
      this.result = result;
    }

    /** Whether the wait has returned. */
    boolean done() {
      return result.isDone();
    }

    /** What the wait returned, once the thread has ended; fails if that takes more than 5 s. */
    T result() throws InterruptedException, ExecutionException, TimeoutException {
      T value = result.get(5, TimeUnit.SECONDS);
      thread.join();
      return value;
    }
  }

  final ReentrantLock lock = new ReentrantLock();

  /** Runs {@code change} with the lock held. */
  void run(Runnable change) {
    lock.lock();
    try {
      change.run();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts a thread that takes the lock and runs {@code wait}, and returns once that thread is parked
   * (a condition's wait lets go of the lock while it parks) or has returned already.
   */
  <T> Waiter<T> startWaiter(Wait<T> wait) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread = Thread.ofPlatform().start(() -> {
      lock.lock();
      try {
        result.complete(wait.await());
      } catch (InterruptedException e) {
        result.completeExceptionally(e);
      } finally {
        lock.unlock();
      }
    });
    while (!parkedOnCondition(thread) && !result.isDone()) {
      Thread.onSpinWait();
    }
    return new Waiter<>(thread, result);
  }

  /** Parked, and not in the line for the lock itself: so inside a condition's wait. */
  private boolean parkedOnCondition(Thread thread) {
    Thread.State state = thread.getState();
    return (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) && !lock.hasQueuedThread(thread);
  }
}
