package dev.snakepit.internal;

import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.process.RunDirectory;
import dev.snakepit.internal.process.RunRegistry;
import dev.snakepit.internal.supervisor.Supervisor;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a pool ends: the orderly close (refuse new calls, let the running ones finish within the
 * shutdown grace, stop the workers), the abort of a start that failed, and what the JVM's shutdown hook
 * does for a pool still open at exit. The close and the abort end in the same last step: kill what is
 * left, stop the control loop, wait for the pool's threads, remove the run directory.
 *
 * <p>Thread-safe: the first close runs the sequence on its caller's thread; a close that comes while it
 * runs waits for its end.
 */
final class PoolShutdown {
  /** Under the entry point's name, as the pool's other messages are, so that one logging setup sees them all. */
  private static final Logger LOG = LoggerFactory.getLogger(PoolCore.class);

  private final String pool;
  private final Duration shutdownGrace;
  private final Supervisor supervisor;
  private final Dispatcher dispatcher;
  private final RunDirectory runDirectory;
  private final Ticker ticker;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch closed = new CountDownLatch(1);
  /** What the JVM's shutdown hook does for this pool if it is still open at exit. */
  private final Runnable atExit;

  /** The shutdown of pool {@code pool}; registers what to do at the JVM's exit while the pool is open. */
  PoolShutdown(String pool, Duration shutdownGrace, Supervisor supervisor, RunDirectory runDirectory, Ticker ticker) {
    this.pool = pool;
    this.shutdownGrace = shutdownGrace;
    this.supervisor = supervisor;
    this.dispatcher = supervisor.dispatcher();
    this.runDirectory = runDirectory;
    this.ticker = ticker;
    this.atExit = () -> {
      closing.set(true);
      supervisor.abandon();
      runDirectory.close();
      // The JVM runs its shutdown hooks at once: an application's hook may be in close() now, waiting
      // for a close that will never run. The exit hook kills the workers right after this.
      closed.countDown();
    };
    RunRegistry.get().atExit(atExit);
  }

  /** Whether the pool is closing or closed: it takes no new calls. */
  boolean closing() {
    return closing.get();
  }

  /** See {@code Snakepit.close}. */
  void close() {
    if (!closing.compareAndSet(false, true)) {
      awaitClosed();
      return;
    }
    long deadline = ticker.nanoTime() + shutdownGrace.toNanos();
    boolean interrupted = false;
    try {
      supervisor.beginClose().get(10, TimeUnit.SECONDS);
      dispatcher.close();
      dispatcher.awaitNoneBusy(shutdownGrace);
      long left = Math.max(TimeUnit.MILLISECONDS.toNanos(500), deadline - ticker.nanoTime());
      try {
        supervisor.stopAll("pool closed").get(left, TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        LOG.warn("pool '{}': workers did not exit within the shutdown grace of {} ms; killing them", pool,
            shutdownGrace.toMillis());
      }
    } catch (InterruptedException e) {
      interrupted = true;
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("pool '{}': orderly shutdown failed; killing its workers", pool, e);
    }
    stopEverything("pool closed after its shutdown grace");
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The pool could not start: fails whatever was queued and stops everything at once. */
  void abort() {
    closing.set(true);
    dispatcher.close();
    stopEverything("pool start failed");
  }

  /** Kills what is left, stops the loop, waits for the threads, removes the socket directory. */
  private void stopEverything(String reason) {
    boolean interrupted = Thread.interrupted();
    try {
      supervisor.killAll(reason).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    } catch (ExecutionException | TimeoutException e) {
      LOG.error("pool '{}': could not confirm that all workers are dead; killing them directly", pool, e);
    }
    // Without the loop's help too, should it be the thing that is broken.
    supervisor.killDirectly();
    try {
      supervisor.closeSpawner();
      supervisor.stopLoop(Duration.ofSeconds(5));
      supervisor.joinThreads(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      interrupted = true;
    }
    runDirectory.close();
    supervisor.releaseLimits();
    RunRegistry.get().done(atExit);
    supervisor.markClosed();
    closed.countDown();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitClosed() {
    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
