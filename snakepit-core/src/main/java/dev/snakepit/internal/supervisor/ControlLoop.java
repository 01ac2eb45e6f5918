package dev.snakepit.internal.supervisor;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The pool's serial control loop: one platform thread that runs every change of pool and worker state,
 * in the order submitted, so that no lock guards the supervisor's tables. It is also the thread that
 * forks workers, which their parent-death signal is tied to, so it lives as long as the pool.
 *
 * <p>A task that throws is a bug in the supervisor, after which the pool's state cannot be trusted: it
 * is reported once to the failure handler, which closes the pool, instead of vanishing into a future
 * nobody reads (or silently ending a periodic task). {@link #checkInLoop} lets code that must run on
 * the loop say so and fail loudly when it does not.
 */
final class ControlLoop {
  private final String pool;
  private final ScheduledExecutorService executor;
  private final Consumer<Throwable> onFailure;
  /** The owner's logger: failures are logged under the name operators already filter on. */
  private final Logger log;
  /** The thread running a loop task now, or null between tasks. */
  private volatile Thread running;
  /** The first failure inside the loop. */
  private volatile Throwable failure;

  /**
   * A loop for pool {@code pool} on {@code executor}, which must run one task at a time (tests give a
   * fake one); the first failure goes to {@code onFailure}, every one is logged to {@code log}.
   */
  ControlLoop(String pool, ScheduledExecutorService executor, Logger log, Consumer<Throwable> onFailure) {
    this.pool = pool;
    this.log = log;
    this.executor = executor;
    this.onFailure = onFailure;
  }

  /** The pool's own loop: one long-lived platform thread, which tasks never end. */
  static ScheduledExecutorService newExecutor(String pool) {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
        r -> Thread.ofPlatform().daemon().name(threadName(pool)).unstarted(r));
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return executor;
  }

  /** The name of pool {@code pool}'s control-loop thread. */
  static String threadName(String pool) {
    return "snakepit-" + pool + "-supervisor";
  }

  /** Runs {@code task} on the loop; dropped once the loop has stopped (late reports do not matter then). */
  void post(Runnable task) {
    try {
      executor.execute(guarded(task));
    } catch (RejectedExecutionException e) {
      // The pool is closed.
    }
  }

  /** Runs {@code task} on the loop after {@code delay}; dropped once the loop has stopped. */
  void schedule(Runnable task, Duration delay) {
    try {
      executor.schedule(guarded(task), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The pool has shut its loop down: every worker is being killed anyway.
    }
  }

  /** Runs {@code task} on the loop every {@code period}, the first time one period from now. */
  void every(Duration period, Runnable task) {
    executor.scheduleWithFixedDelay(guarded(task), period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Throws unless the calling code runs as a task of this loop. */
  void checkInLoop(String what) {
    if (running != Thread.currentThread()) {
      throw new IllegalStateException(what + " must be started from the pool's control-loop thread, not from "
          + Thread.currentThread().getName());
    }
  }

  /** The first failure inside the loop, which closed the pool, or null. */
  Throwable failure() {
    return failure;
  }

  /** Stops the loop: tasks still queued or scheduled never run. Returns whether it ended within {@code timeout}. */
  boolean shutdown(Duration timeout) throws InterruptedException {
    executor.shutdown();
    if (executor.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
      return true;
    }
    executor.shutdownNow();
    return false;
  }

  private Runnable guarded(Runnable task) {
    return () -> {
      Thread outer = running;
      running = Thread.currentThread();
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError fatal && !(e instanceof StackOverflowError)) {
          throw fatal;
        }
        failed(e);
      } finally {
        running = outer;
      }
    };
  }

  private void failed(Throwable error) {
    log.error("internal error in the control loop of pool '{}'; the pool closes and kills its workers", pool, error);
    if (failure == null) {
      failure = error;
      onFailure.accept(error);
    }
  }
}
