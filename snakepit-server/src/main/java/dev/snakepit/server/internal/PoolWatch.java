package dev.snakepit.server.internal;

import dev.snakepit.PoolStats;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.WorkerEvent;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What the dashboard shows of one pool over time: a listener on the pool's calls and workers, and a
 * per-second history of rates, latency percentiles and queue depth.
 *
 * <p>The listener methods run on the pool's threads and only touch the latency window (lock-free) and
 * the event list (guarded by {@code this}). {@link #tick} runs once a second on the server's ticker.
 */
final class PoolWatch implements PoolListener {
  /** Seconds of history kept and sent: five minutes. */
  static final int HISTORY = 300;
  /** Worker events kept: the dashboard lists the latest. */
  static final int EVENTS = 50;

  private final Clock clock;
  private final Runnable changed;
  private final LatencyWindow window = new LatencyWindow();

  /** Guarded by {@code this}. */
  private final Deque<Sample> history = new ArrayDeque<>();
  /** Guarded by {@code this}; newest first. */
  private final Deque<WorkerNote> events = new ArrayDeque<>();
  /** Guarded by {@code this}. */
  private WorkerNote lastCrash;

  /** {@code changed} is told when a worker starts, stops or crashes, so the page need not wait a second. */
  PoolWatch(Clock clock, Runnable changed) {
    this.clock = clock;
    this.changed = changed;
  }

  /** One second of a pool's history. */
  record Sample(long epochSecond, long calls, long failed, double p50, double p95, double p99, int queued, int busy,
      int workers) {}

  /** A worker that started, stopped or crashed. */
  record WorkerNote(long atMillis, String kind, String workerId, long pid, String cause) {}

  @Override
  public void callStop(CallEvent event) {
    window.record(event.elapsed().toNanos(), false);
  }

  @Override
  public void callException(CallEvent event, SnakepitException error) {
    window.record(event.elapsed().toNanos(), true);
  }

  @Override
  public void workerStart(WorkerEvent event) {
    note(new WorkerNote(clock.millis(), "started", event.workerId(), event.pid(), ""));
  }

  @Override
  public void workerStop(WorkerEvent event) {
    note(new WorkerNote(clock.millis(), "stopped", event.workerId(), event.pid(), stopCause(event)));
  }

  @Override
  public void workerCrash(WorkerEvent event) {
    WorkerNote crash = new WorkerNote(clock.millis(), "crashed", event.workerId(), event.pid(), crashCause(event));
    synchronized (this) {
      lastCrash = crash;
    }
    note(crash);
  }

  /** Closes the second that ended, sampling the pool's {@code stats} at its end. */
  void tick(PoolStats stats) {
    LatencyWindow.Second second = window.roll();
    Sample sample = new Sample(clock.instant().getEpochSecond(), second.calls(), second.failed(), second.p50(), second.p95(),
        second.p99(), stats.queued(), stats.busy(), stats.workers());
    synchronized (this) {
      history.addLast(sample);
      while (history.size() > HISTORY) {
        history.removeFirst();
      }
    }
  }

  synchronized List<Sample> history() {
    return new ArrayList<>(history);
  }

  synchronized List<WorkerNote> events() {
    return new ArrayList<>(events);
  }

  synchronized WorkerNote lastCrash() {
    return lastCrash;
  }

  private void note(WorkerNote note) {
    synchronized (this) {
      events.addFirst(note);
      while (events.size() > EVENTS) {
        events.removeLast();
      }
    }
    changed.run();
  }

  private static String stopCause(WorkerEvent event) {
    return event.reason() == null ? "" : event.reason();
  }

  /** Why a worker crashed, as a person reads it: what ended it, and the last line it wrote to stderr. */
  static String crashCause(WorkerEvent event) {
    WorkerExit exit = event.exit();
    StringBuilder cause = new StringBuilder();
    if (event.reason() != null && !event.reason().isBlank()) {
      cause.append(event.reason());
    }
    if (exit != null) {
      String described = exit.describe();
      if (cause.indexOf(described) < 0) {
        cause.append(cause.isEmpty() ? "" : "; ").append(described);
      }
      String tail = exit.stderrTail().strip();
      if (!tail.isEmpty()) {
        String last = tail.substring(tail.lastIndexOf('\n') + 1);
        cause.append(" (stderr: ").append(last.length() > 200 ? last.substring(0, 200) + "..." : last).append(')');
      }
    }
    return cause.isEmpty() ? "unknown" : cause.toString();
  }
}
