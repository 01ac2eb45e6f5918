package dev.snakepit.micrometer;

import dev.snakepit.Snakepit;
import dev.snakepit.WorkerInfo;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The pool's workers as read at most once per {@link #MAX_AGE}: reading them reads {@code /proc} for
 * every worker, and a registry reads one gauge per worker, so each gauge looks its worker up here
 * instead of reading all of them again.
 */
final class WorkerSnapshots {
  static final Duration MAX_AGE = Duration.ofSeconds(1);
  /** How old a snapshot may be that lacks the worker asked for: one that started since is read soon. */
  private static final Duration MAX_AGE_MISSING = Duration.ofMillis(100);

  private final Snakepit pool;
  /** Guarded by this. */
  private Map<String, WorkerInfo> byId = Map.of();
  /** When {@code byId} was read ({@link System#nanoTime()}); guarded by this. */
  private long readNanos;
  /** Whether {@code byId} was ever read; guarded by this. */
  private boolean read;

  WorkerSnapshots(Snakepit pool) {
    this.pool = pool;
  }

  /** The resident memory of worker {@code id}, in bytes, or NaN once it is gone. */
  synchronized double residentBytes(String id) {
    long now = System.nanoTime();
    long age = now - readNanos;
    if (!read || age >= MAX_AGE.toNanos() || (!byId.containsKey(id) && age >= MAX_AGE_MISSING.toNanos())) {
      Map<String, WorkerInfo> fresh = new HashMap<>();
      for (WorkerInfo worker : pool.workers()) {
        fresh.put(worker.id(), worker);
      }
      byId = fresh;
      readNanos = now;
      read = true;
    }
    WorkerInfo worker = byId.get(id);
    return worker == null ? Double.NaN : worker.residentBytes();
  }
}
