package dev.snakepit.server.internal;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Server-sent events for the dashboard: each client gets a {@code snapshot} event with every pool's
 * state at once, then another whenever something changed (a second ended, a worker started, stopped or
 * crashed). A snapshot is built once per change, however many clients there are. A client that is
 * slow only delays itself; one that is gone ends its stream at the next write.
 */
final class EventStream {
  /** A comment line this often keeps proxies from closing a quiet stream. */
  private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(15);

  private final Supplier<Map<String, Object>> snapshot;
  /**
   * Held only to wait for and signal a change, never while a snapshot is built: {@link #changed} runs
   * on the pools' own threads (a listener's), which must never wait for a pool's state to be read.
   */
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changes = lock.newCondition();
  /** Guarded by {@code lock}: bumped on every change. */
  private long version;
  /** Guarded by {@code lock}. */
  private boolean closed;
  /** Guards {@link #built} and {@link #builtVersion}: one client builds a version's event, the others reuse it. */
  private final Object building = new Object();
  private byte[] built;
  private long builtVersion = -1;

  EventStream(Supplier<Map<String, Object>> snapshot) {
    this.snapshot = snapshot;
  }

  void changed() {
    lock.lock();
    try {
      version++;
      changes.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Streams events to {@code exchange} until the client leaves or the server stops. */
  void serve(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
    exchange.sendResponseHeaders(200, 0);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write("retry: 2000\n\n".getBytes(StandardCharsets.US_ASCII));
      long sent = -1;
      while (true) {
        long current;
        lock.lock();
        try {
          long waitNanos = KEEP_ALIVE_NANOS;
          while (!closed && version == sent && waitNanos > 0) {
            waitNanos = changes.awaitNanos(waitNanos);
          }
          if (closed) {
            return;
          }
          current = version;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } finally {
          lock.unlock();
        }
        byte[] event = current == sent ? ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII) : eventOf(current);
        sent = current;
        out.write(event);
        out.flush();
      }
    }
  }

  /** Ends every stream; the clients reconnect to whatever serves next. */
  void close() {
    lock.lock();
    try {
      closed = true;
      changes.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The event of version {@code current} or a later one, built once for all clients. */
  private byte[] eventOf(long current) throws IOException {
    synchronized (building) {
      if (builtVersion < current) {
        built = ("event: snapshot\ndata: " + Json.write(snapshot.get()) + "\n\n").getBytes(StandardCharsets.UTF_8);
        builtVersion = current;
      }
      return built;
    }
  }
}
