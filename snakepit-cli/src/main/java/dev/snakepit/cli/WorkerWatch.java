package dev.snakepit.cli;

import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.WorkerEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Listens to a pool's events to remember every worker process the pool ever had (so that after
 * {@code close()} the demo can check that none is left), to know which workers are running a call (so
 * the demo can kill one that is), and to see the death of the killed worker and the start of its
 * replacement.
 *
 * <p>Listener methods run on the pool's threads and only record: map inserts, counters and a few
 * volatile writes. The demo's main thread reads the results.
 */
final class WorkerWatch implements PoolListener {
  /** What {@link #idOf} says of a worker no event has named. */
  static final String UNKNOWN_ID = "?";

  /** Every worker process seen, by pid; the handle keeps the process's start time, so a reused pid is not mistaken for it. */
  private final Map<Long, Optional<ProcessHandle>> seen = new ConcurrentHashMap<>();
  /** Workers' ids by pid, for messages. */
  private final Map<Long, String> ids = new ConcurrentHashMap<>();
  /**
   * Per worker id, calls handed to it minus calls it answered: above zero while it runs one. A counter,
   * not a flag, because the answer to one call and the hand-over of the next are reported from
   * different threads and may arrive in either order.
   */
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  /** The pid the demo killed; 0 before the kill. */
  private volatile long killedPid;
  private volatile long killedAtNanos;
  /** The crash event of the killed worker, once the pool has buried it. */
  private volatile WorkerEvent crash;
  /** The first worker ready after that crash, and when. */
  private volatile WorkerEvent replacement;
  private volatile long replacedAtNanos;

  @Override
  public void checkoutStop(CallEvent event) {
    if (event.workerId() != null) {
      inFlight.computeIfAbsent(event.workerId(), id -> new AtomicInteger()).incrementAndGet();
    }
  }

  @Override
  public void checkin(CallEvent event) {
    if (event.workerId() != null) {
      inFlight.computeIfAbsent(event.workerId(), id -> new AtomicInteger()).decrementAndGet();
    }
  }

  @Override
  public void workerStart(WorkerEvent event) {
    remember(event.pid(), event.workerId());
    if (crash != null && replacement == null) {
      replacedAtNanos = System.nanoTime();
      replacement = event;
    }
  }

  @Override
  public void workerStop(WorkerEvent event) {
    remember(event.pid(), event.workerId());
  }

  @Override
  public void workerCrash(WorkerEvent event) {
    remember(event.pid(), event.workerId());
    if (event.pid() == killedPid) {
      crash = event;
    }
  }

  /** Remembers the pids of live workers, also those whose start event came before this listener saw any. */
  void rememberAll(List<Long> pids) {
    for (long pid : pids) {
      remember(pid, null);
    }
  }

  /** Notes that the demo is about to kill {@code pid}. */
  void killing(long pid) {
    killedAtNanos = System.nanoTime();
    killedPid = pid;
  }

  /** Whether the worker with this pid is running a call as far as the events so far tell. */
  boolean isBusy(long pid) {
    String id = ids.get(pid);
    AtomicInteger calls = id == null ? null : inFlight.get(id);
    return calls != null && calls.get() > 0;
  }

  /** The first of {@code pids} whose worker is running a call, if any is. */
  Optional<Long> busyAmong(List<Long> pids) {
    return pids.stream().filter(this::isBusy).findFirst();
  }

  /** When {@link #killing} was called, in {@link System#nanoTime()} terms. */
  long killedAtNanos() {
    return killedAtNanos;
  }

  /** The worker id of {@code pid}, or {@link #UNKNOWN_ID} if no event named it yet. */
  String idOf(long pid) {
    return ids.getOrDefault(pid, UNKNOWN_ID);
  }

  /** The crash event of the killed worker, once seen. */
  Optional<WorkerEvent> crash() {
    return Optional.ofNullable(crash);
  }

  /** The worker that became ready after the killed one was buried, once seen. */
  Optional<WorkerEvent> replacement() {
    return Optional.ofNullable(replacement);
  }

  /** Nanoseconds from the kill until the replacement was ready, or -1 before that. */
  long recoveryNanos() {
    return replacement == null ? -1 : replacedAtNanos - killedAtNanos;
  }

  /** How many distinct worker processes were seen. */
  int seenCount() {
    return seen.size();
  }

  /** The pids, among all seen, whose process is still alive. */
  List<Long> alive() {
    List<Long> alive = new ArrayList<>();
    seen.forEach((pid, handle) -> {
      if (handle.map(ProcessHandle::isAlive).orElse(false)) {
        alive.add(pid);
      }
    });
    alive.sort(null);
    return alive;
  }

  private void remember(long pid, String workerId) {
    seen.computeIfAbsent(pid, ProcessHandle::of);
    if (workerId != null) {
      ids.put(pid, workerId);
    }
  }
}
