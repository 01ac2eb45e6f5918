package dev.snakepit.testing;

import dev.snakepit.SnakepitException;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.SessionEvent;
import dev.snakepit.spi.WorkerEvent;
import java.util.ArrayList;
import java.util.List;

/** A {@link PoolListener} that records every event in the order the pool delivered them. */
public final class RecordingListener implements PoolListener {

  /**
   * One event.
   *
   * @param type the listener method's name, such as {@code callStart}
   * @param call the call event, or null for another event
   * @param worker the worker event, or null for another event
   * @param error the error of an {@code *Exception} event, else null
   * @param session the session event, or null for another event
   */
  public record Recorded(String type, CallEvent call, WorkerEvent worker, SnakepitException error, SessionEvent session) {}

  /** Guarded by itself. */
  private final List<Recorded> events = new ArrayList<>();

  /** The events so far, in delivery order. */
  public List<Recorded> events() {
    synchronized (events) {
      return new ArrayList<>(events);
    }
  }

  /** The events so far of one call. */
  public List<Recorded> eventsOfCall(long callId) {
    return events().stream().filter(e -> e.call() != null && e.call().callId() == callId).toList();
  }

  /** The events so far of one type. */
  public List<Recorded> ofType(String type) {
    return events().stream().filter(e -> e.type().equals(type)).toList();
  }

  private void add(String type, CallEvent call, WorkerEvent worker, SnakepitException error) {
    synchronized (events) {
      events.add(new Recorded(type, call, worker, error, null));
    }
  }

  private void add(String type, SessionEvent session) {
    synchronized (events) {
      events.add(new Recorded(type, null, null, null, session));
    }
  }

  @Override
  public void checkoutStart(CallEvent event) {
    add("checkoutStart", event, null, null);
  }

  @Override
  public void checkoutStop(CallEvent event) {
    add("checkoutStop", event, null, null);
  }

  @Override
  public void checkoutException(CallEvent event, SnakepitException error) {
    add("checkoutException", event, null, error);
  }

  @Override
  public void checkin(CallEvent event) {
    add("checkin", event, null, null);
  }

  @Override
  public void callStart(CallEvent event) {
    add("callStart", event, null, null);
  }

  @Override
  public void callStop(CallEvent event) {
    add("callStop", event, null, null);
  }

  @Override
  public void callException(CallEvent event, SnakepitException error) {
    add("callException", event, null, error);
  }

  @Override
  public void workerStart(WorkerEvent event) {
    add("workerStart", null, event, null);
  }

  @Override
  public void workerStop(WorkerEvent event) {
    add("workerStop", null, event, null);
  }

  @Override
  public void workerCrash(WorkerEvent event) {
    add("workerCrash", null, event, null);
  }

  @Override
  public void sessionOpen(SessionEvent event) {
    add("sessionOpen", event);
  }

  @Override
  public void sessionClose(SessionEvent event) {
    add("sessionClose", event);
  }

  @Override
  public void sessionLost(SessionEvent event) {
    add("sessionLost", event);
  }
}
