package dev.snakepit.internal.control;

import dev.snakepit.internal.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Finds the workers that stopped beating: frozen (SIGSTOP, a debugger), wedged in C code that holds the
 * GIL, or starved. Each worker's control channel records its beats in a {@link Beats}; the pool's loop
 * {@linkplain #sweep sweeps} them and schedules the next sweep for the moment the first worker would
 * pass its timeout (at the latest one interval on), so a silent worker is caught within a millisecond
 * or so of its timeout, not up to an interval later.
 */
public final class HeartbeatMonitor {
  /** How far past a worker's timeout its check is scheduled, so that it has surely passed. */
  private static final long SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Duration interval;
  private final Duration timeout;
  private final Ticker ticker;

  public HeartbeatMonitor(Duration interval, Duration timeout, Ticker ticker) {
    this.interval = interval;
    this.timeout = timeout;
    this.ticker = ticker;
  }

  /** When one worker last beat; its start counts as its first beat. Written by its control thread. */
  public static final class Beats {
    private final Ticker ticker;
    private volatile long lastNanos;
    private volatile long roundTripMicros = -1;

    /** Beats of a worker that starts now. */
    public Beats(Ticker ticker) {
      this.ticker = ticker;
      this.lastNanos = ticker.nanoTime();
    }

    /** The worker sent a HEARTBEAT. */
    public void beat() {
      lastNanos = ticker.nanoTime();
    }

    /** The worker sent a HEARTBEAT saying its previous one took {@code micros} to be acknowledged (-1: not said). */
    public void beat(long micros) {
      beat();
      if (micros >= 0) {
        roundTripMicros = micros;
      }
    }

    /** The round trip the worker last reported, in microseconds, or -1 before its first report. */
    public long roundTripMicros() {
      return roundTripMicros;
    }
  }

  /** How long after the pool starts the first sweep is due. */
  public Duration firstSweep() {
    return interval;
  }

  /**
   * Hands each of {@code workers} that has been silent past the timeout to {@code silent}, with why;
   * returns when the next sweep is due.
   */
  public <W> Duration sweep(Iterable<W> workers, Function<W, Beats> beatsOf, BiConsumer<W, String> silent) {
    long now = ticker.nanoTime();
    long limit = timeout.toNanos();
    long next = interval.toNanos();
    for (W worker : workers) {
      long quiet = now - beatsOf.apply(worker).lastNanos;
      if (quiet > limit) {
        silent.accept(worker, "sent no heartbeat for " + TimeUnit.NANOSECONDS.toMillis(quiet) + " ms (heartbeat timeout "
            + timeout.toMillis() + " ms)");
      } else {
        next = Math.min(next, limit - quiet + SLACK_NANOS);
      }
    }
    return Duration.ofNanos(next);
  }
}
