package dev.snakepit.internal.dispatch;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.function.BiConsumer;

/**
 * Which worker holds which share of the sessions: the workers that serve (ready, not retired), how many
 * sessions each holds, and where a new one goes, the serving worker with the fewest that is below the
 * per-worker cap. When a worker that holds sessions stops serving, whoever keeps the sessions is told
 * once.
 *
 * <p>Guarded by the dispatcher's lock, like {@link Checkout}: the public methods take it, the others are
 * called by the dispatcher with it held. The listener is called without it.
 */
public final class SessionPlacement {
  private final Lock lock;
  private final int maxPerWorker;
  private final Set<WorkerSlot> serving = new LinkedHashSet<>();
  private BiConsumer<WorkerSlot, String> onEnded = (slot, why) -> {};

  SessionPlacement(Lock lock, int maxPerWorker) {
    this.lock = lock;
    this.maxPerWorker = maxPerWorker;
  }

  /**
   * Who is told, without the lock, when a worker that holds sessions stops serving, and what became of
   * it ("died", "is stopping"); set before any session opens.
   */
  public void onEnded(BiConsumer<WorkerSlot, String> listener) {
    lock.lock();
    try {
      this.onEnded = listener;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Counts a new session on the serving worker that holds the fewest, below the cap, and returns it;
   * null when every worker is full or none serves.
   */
  public WorkerSlot reserve() {
    lock.lock();
    try {
      WorkerSlot best = null;
      for (WorkerSlot slot : serving) {
        if (slot.sessions < maxPerWorker && (best == null || slot.sessions < best.sessions)) {
          best = slot;
        }
      }
      if (best != null) {
        best.sessions++;
      }
      return best;
    } finally {
      lock.unlock();
    }
  }

  /** A session left {@code from} (closed or lost), or moved from it to {@code to} when that is not null. */
  public void left(WorkerSlot from, WorkerSlot to) {
    lock.lock();
    try {
      if (from != null && from.sessions > 0) {
        from.sessions--;
      }
      if (to != null) {
        to.sessions++;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@code slot} still serves: it is ready and gets calls. */
  public boolean serves(WorkerSlot slot) {
    lock.lock();
    try {
      return serving.contains(slot);
    } finally {
      lock.unlock();
    }
  }

  /** How many sessions the serving workers hold, and how many they may, for error messages. */
  public String describe() {
    lock.lock();
    try {
      int held = 0;
      for (WorkerSlot slot : serving) {
        held += slot.sessions;
      }
      return held + " sessions on " + serving.size() + " serving workers, at most " + maxPerWorker + " each";
    } finally {
      lock.unlock();
    }
  }

  /** A worker became ready. Under the lock. */
  void serving(WorkerSlot slot) {
    if (!slot.retired) {
      serving.add(slot);
    }
  }

  /** The worker gets no more calls; true the first time if it holds sessions, which must be written off. Under the lock. */
  boolean ended(WorkerSlot slot) {
    return serving.remove(slot) && slot.sessions > 0;
  }

  /** Whether {@code slot} may take one more session. Under the lock. */
  boolean hasRoom(WorkerSlot slot) {
    return slot.sessions < maxPerWorker;
  }

  /** Tells the listener that {@code slot}'s sessions are gone, {@code why}; without the lock. */
  void report(WorkerSlot slot, String why) {
    BiConsumer<WorkerSlot, String> listener;
    lock.lock();
    try {
      listener = onEnded;
    } finally {
      lock.unlock();
    }
    listener.accept(slot, why);
  }
}
