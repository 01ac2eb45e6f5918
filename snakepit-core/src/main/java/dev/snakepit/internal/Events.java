package dev.snakepit.internal;

import dev.snakepit.SnakepitException;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.SessionEvent;
import dev.snakepit.spi.WorkerEvent;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to the pool's {@link PoolListener}, so that a listener that throws can never break
 * the pool: its exception is logged and dropped. Also builds the event records.
 */
public final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);

  private final String pool;
  private final PoolListener listener;
  private final boolean silent;
  private final Ticker ticker;

  public Events(String pool, PoolListener listener, Ticker ticker) {
    this.pool = pool;
    this.ticker = ticker;
    this.listener = listener;
    this.silent = listener == PoolListener.NONE;
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
    if (silent) {
      return;
    }
    try {
      event.accept(listener);
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError vme) {
        throw vme;
      }
      LOG.warn("PoolListener of pool '{}' threw; the event is dropped", pool, e);
    }
  }
}
