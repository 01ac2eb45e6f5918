package dev.snakepit.internal;

import dev.snakepit.SnakepitException;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.HeartbeatEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.SessionEvent;
import dev.snakepit.spi.WorkerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to the pool's {@link PoolListener}s, so that a listener that throws can never break
 * the pool: its exception is logged and dropped, and the others still get the event. Also builds the
 * event records.
 */
public final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);
  private static final PoolListener[] NONE = {};

  private final String pool;
  private final Ticker ticker;
  /** Replaced whole on each change, so that delivering reads it once, without a lock. */
  private volatile PoolListener[] listeners;
  /** Where the added listeners begin: the configuration's, if any, comes first and stays. */
  private final int firstAdded;

  public Events(String pool, PoolListener listener, Ticker ticker) {
    this.pool = pool;
    this.ticker = ticker;
    this.listeners = listener == PoolListener.NONE ? NONE : new PoolListener[] {listener};
    this.firstAdded = listeners.length;
  }

  /** Adds {@code listener} after the others. */
  public synchronized void add(PoolListener listener) {
    PoolListener[] now = Arrays.copyOf(listeners, listeners.length + 1);
    now[now.length - 1] = listener;
    listeners = now;
  }

  /** Removes the last {@linkplain #add added} occurrence of {@code listener}; says whether there was one. */
  public synchronized boolean remove(PoolListener listener) {
    List<PoolListener> now = new ArrayList<>(List.of(listeners));
    int at = now.lastIndexOf(listener);
    if (at < firstAdded) {
      return false;
    }
    now.remove(at);
    listeners = now.toArray(NONE);
    return true;
  }

  public CallEvent call(long callId, String tool, String workerId, long sinceNanos) {
    return sinceNanos == 0 ? call(callId, tool, workerId, 0, 0) : call(callId, tool, workerId, sinceNanos, ticker.nanoTime());
  }

  /** An event of a moment the dispatcher has timed already, {@code atNanos}: the clock is not read again. */
  public CallEvent call(long callId, String tool, String workerId, long sinceNanos, long atNanos) {
    return new CallEvent(pool, callId, tool, workerId, Duration.ofNanos(atNanos - sinceNanos));
  }

  public void checkoutStart(long callId, String tool) {
    deliver(l -> l.checkoutStart(call(callId, tool, null, 0)));
  }

  public void checkoutStop(long callId, String tool, String workerId, long sinceNanos, long atNanos) {
    deliver(l -> l.checkoutStop(call(callId, tool, workerId, sinceNanos, atNanos)));
  }

  public void checkoutException(long callId, String tool, long sinceNanos, SnakepitException error) {
    deliver(l -> l.checkoutException(call(callId, tool, null, sinceNanos), error));
  }

  public void checkin(long callId, String tool, String workerId, long sinceNanos, long atNanos) {
    deliver(l -> l.checkin(call(callId, tool, workerId, sinceNanos, atNanos)));
  }

  public void callStart(long callId, String tool) {
    deliver(l -> l.callStart(call(callId, tool, null, 0)));
  }

  public void callStop(long callId, String tool, String workerId, long sinceNanos) {
    deliver(l -> l.callStop(call(callId, tool, workerId, sinceNanos)));
  }

  public void callException(long callId, String tool, String workerId, long sinceNanos, SnakepitException error) {
    deliver(l -> l.callException(call(callId, tool, workerId, sinceNanos), error));
  }

  public void workerStart(WorkerEvent event) {
    deliver(l -> l.workerStart(event));
  }

  public void workerStop(WorkerEvent event) {
    deliver(l -> l.workerStop(event));
  }

  public void workerCrash(WorkerEvent event) {
    deliver(l -> l.workerCrash(event));
  }

  public void heartbeat(String workerId, long sequence, long roundTripMicros) {
    deliver(l -> l.heartbeat(new HeartbeatEvent(pool, workerId, sequence, Duration.ofNanos(roundTripMicros * 1000))));
  }

  public void sessionOpen(String session, String workerId, long openedNanos) {
    deliver(l -> l.sessionOpen(session(session, workerId, openedNanos, null)));
  }

  public void sessionClose(String session, String workerId, long openedNanos, String reason) {
    deliver(l -> l.sessionClose(session(session, workerId, openedNanos, reason)));
  }

  public void sessionLost(String session, String workerId, long openedNanos, String reason) {
    deliver(l -> l.sessionLost(session(session, workerId, openedNanos, reason)));
  }

  private SessionEvent session(String session, String workerId, long openedNanos, String reason) {
    return new SessionEvent(pool, session, workerId, Duration.ofNanos(ticker.nanoTime() - openedNanos), reason);
  }

  private void deliver(Consumer<PoolListener> event) {
    PoolListener[] now = listeners;
    for (PoolListener listener : now) {
      try {
        event.accept(listener);
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError vme) {
          throw vme;
        }
        LOG.warn("PoolListener {} of pool '{}' threw; the event is dropped", listener.getClass().getName(), pool, e);
      }
    }
  }
}
