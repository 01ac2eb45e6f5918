package dev.snakepit.testing;

import dev.snakepit.internal.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Time that passes only when a test says so: a {@link Ticker} and a {@link ScheduledExecutorService}
 * whose tasks run on the test's own thread, in the order they fall due, when the test calls
 * {@link #forward} or {@link #runDue}. Code under test that schedules a deadline, a backoff or a
 * periodic check can then be driven through hours of its life in microseconds, and a test asserts what
 * happened at exactly one millisecond before and at the deadline.
 *
 * <p>Thread-safe: code under test may schedule from other threads; tasks still run only in
 * {@code forward} and {@code runDue}. The clock starts far from zero, because zero means "never" in
 * some of the pool's time stamps.
 */
public final class FakeClock implements Ticker {
  private final Object lock = new Object();
  /** Guarded by lock. */
  private final PriorityQueue<Task<?>> tasks = new PriorityQueue<>();
  /** Guarded by lock. */
  private long now = TimeUnit.DAYS.toNanos(1);
  /** Guarded by lock; breaks ties between tasks due at the same moment: first scheduled, first run. */
  private long sequence;
  /** Guarded by lock. */
  private boolean shutdown;
  private final Executor executor = new Executor();

  @Override
  public long nanoTime() {
    synchronized (lock) {
      return now;
    }
  }

  /** The executor whose tasks this clock runs. */
  public ScheduledExecutorService executor() {
    return executor;
  }

  /** Moves time on by {@code duration}, running every task due on the way, each at its own moment. */
  public void forward(Duration duration) {
    long until;
    synchronized (lock) {
      until = now + duration.toNanos();
    }
    while (true) {
      Task<?> next;
      synchronized (lock) {
        next = tasks.peek();
        if (next == null || next.dueNanos - until > 0) {
          now = until;
          return;
        }
        tasks.poll();
        now = Math.max(now, next.dueNanos);
      }
      next.runOnce();
    }
  }

  /** Runs the tasks due now, including those they schedule for now, without moving time. */
  public void runDue() {
    forward(Duration.ZERO);
  }

  private <T> Task<T> add(Callable<T> body, long delayNanos, long periodNanos) {
    synchronized (lock) {
      if (shutdown) {
        throw new RejectedExecutionException("the fake clock's executor is shut down");
      }
      Task<T> task = new Task<>(body, now + Math.max(0, delayNanos), periodNanos, sequence++);
      tasks.add(task);
      return task;
    }
  }

  /** A scheduled task; a periodic one is re-queued after each run, with a fixed delay. */
  private final class Task<T> implements ScheduledFuture<T> {
    private final Callable<T> body;
    private final long periodNanos;
    private long dueNanos;
    private long order;
    /** Guarded by lock. */
    private boolean cancelled;
    /** Guarded by lock. */
    private boolean done;
    /** Guarded by lock. */
    private T result;
    /** Guarded by lock. */
    private Throwable failure;

    Task(Callable<T> body, long dueNanos, long periodNanos, long order) {
      this.body = body;
      this.dueNanos = dueNanos;
      this.periodNanos = periodNanos;
      this.order = order;
    }

    void runOnce() {
      synchronized (lock) {
        if (cancelled || done) {
          return;
        }
      }
      T value = null;
      Throwable error = null;
      try {
        value = body.call();
      } catch (Throwable t) {
        error = t;
      }
      synchronized (lock) {
        if (periodNanos > 0 && error == null && !cancelled && !shutdown) {
          dueNanos = now + periodNanos;
          order = sequence++;
          tasks.add(this);
          return;
        }
        done = true;
        result = value;
        failure = error;
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      synchronized (lock) {
        return unit.convert(dueNanos - now, TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public int compareTo(Delayed other) {
      Task<?> that = (Task<?>) other;
      int byTime = Long.compare(dueNanos - that.dueNanos, 0);
      return byTime != 0 ? byTime : Long.compare(order, that.order);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      synchronized (lock) {
        if (done || cancelled) {
          return false;
        }
        cancelled = true;
        tasks.remove(this);
        return true;
      }
    }

    @Override
    public boolean isCancelled() {
      synchronized (lock) {
        return cancelled;
      }
    }

    @Override
    public boolean isDone() {
      synchronized (lock) {
        return done || cancelled;
      }
    }

    @Override
    public T get() throws ExecutionException {
      synchronized (lock) {
        if (!done && !cancelled) {
          throw new IllegalStateException("a fake-clock task runs only when the test moves the clock; it has not run yet");
        }
        return outcome();
      }
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws ExecutionException, TimeoutException {
      synchronized (lock) {
        if (!done && !cancelled) {
          throw new TimeoutException("a fake-clock task runs only when the test moves the clock; it has not run yet");
        }
        return outcome();
      }
    }

    private T outcome() throws ExecutionException {
      if (cancelled) {
        throw new CancellationException();
      }
      if (failure != null) {
        throw new ExecutionException(failure);
      }
      return result;
    }
  }

  private final class Executor extends AbstractExecutorService implements ScheduledExecutorService {
    @Override
    public void execute(Runnable command) {
      add(() -> {
        command.run();
        return null;
      }, 0, 0);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      return add(() -> {
        command.run();
        return null;
      }, unit.toNanos(delay), 0);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      return add(callable, unit.toNanos(delay), 0);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
      return scheduleWithFixedDelay(command, initialDelay, period, unit);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
      if (delay <= 0) {
        throw new IllegalArgumentException("a periodic task needs a positive period, not " + delay + " " + unit);
      }
      return add(() -> {
        command.run();
        return null;
      }, unit.toNanos(initialDelay), unit.toNanos(delay));
    }

    @Override
    public void shutdown() {
      synchronized (lock) {
        shutdown = true;
        tasks.clear();
      }
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown();
      return new ArrayList<>();
    }

    @Override
    public boolean isShutdown() {
      synchronized (lock) {
        return shutdown;
      }
    }

    @Override
    public boolean isTerminated() {
      return isShutdown();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return isShutdown();
    }
  }
}
