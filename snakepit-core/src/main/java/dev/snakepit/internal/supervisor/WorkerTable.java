package dev.snakepit.internal.supervisor;

import dev.snakepit.internal.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The supervisor's workers not yet DEAD, by id, and the threads that read them. Written only on the
 * control loop; concurrent, so that stats, pids and the last-resort kill may read it from any thread.
 */
final class WorkerTable {
  private final Map<String, Worker> workers = new ConcurrentHashMap<>();
  /** Threads of every worker added, pruned as they end; joined at close. */
  private final ConcurrentLinkedQueue<Thread> threads = new ConcurrentLinkedQueue<>();

  /** Adds a worker whose process has been spawned. */
  void add(Worker worker) {
    workers.put(worker.id, worker);
    threads.removeIf(t -> !t.isAlive());
    threads.addAll(worker.process().threads());
  }

  void remove(Worker worker) {
    workers.remove(worker.id);
  }

  /** The worker with that id, or null. */
  Worker get(String id) {
    return workers.get(id);
  }

  /** A live view of the workers. */
  Collection<Worker> all() {
    return workers.values();
  }

  int size() {
    return workers.size();
  }

  /** The workers in {@code state}. */
  List<Worker> in(WorkerState... states) {
    List<Worker> found = new ArrayList<>();
    for (Worker w : workers.values()) {
      for (WorkerState state : states) {
        if (w.state() == state) {
          found.add(w);
        }
      }
    }
    return found;
  }

  /** The ready worker whose own pid is {@code pid}. */
  Optional<Worker> readyWithPid(long pid) {
    return workers.values().stream().filter(w -> w.pid() == pid && w.state() == WorkerState.READY).findFirst();
  }

  /** The pids of the workers; one still starting is left out until its keeper has forked it. */
  List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    for (Worker w : workers.values()) {
      long pid = w.knownPid();
      if (pid > 0) {
        pids.add(pid);
      }
    }
    return pids;
  }

  /** Kills every worker's tree from the calling thread. */
  void killAll() {
    for (Worker w : workers.values()) {
      w.process().killTree(w.pid());
    }
  }

  /** Waits for the reading threads of all workers to end, up to {@code timeout} in total. */
  void joinThreads(Duration timeout, Ticker ticker) throws InterruptedException {
    long deadline = ticker.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = deadline - ticker.nanoTime();
      if (left <= 0) {
        break;
      }
      t.join(Duration.ofNanos(left));
    }
  }
}
