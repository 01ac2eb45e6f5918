package dev.snakepit.internal.dispatch;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

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
  private final Checkout checkout;
  private final Set<WorkerSlot> serving = new LinkedHashSet<>();
  private BiConsumer<WorkerSlot, String> onEnded = (slot, why) -> {};
  private Consumer<WorkerSlot> onDraining = slot -> {};

  SessionPlacement(Lock lock, int maxPerWorker, Checkout checkout) {
    this.lock = lock;
    this.maxPerWorker = maxPerWorker;
    this.checkout = checkout;
  }

  /**
   * Who is told, without the lock, when a worker that holds sessions stops serving, and what became of
   * it ("died", "is stopping"); set before any session opens.
   */
  public void onEnded(BiConsumer<WorkerSlot, String> listener, Consumer<WorkerSlot> draining) {
    lock.lock();
    try {
      this.onEnded = listener;
      this.onDraining = draining;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Drains a worker that holds sessions before it stops: from now on it gets no new session and no call
   * that any worker may take, only its sessions' calls; {@code onDrained} runs, on the thread that
   * closes its last session, once none is left. The keeper of the sessions is told first, so that
   * sessions that may move let go of it. Returns false, and runs nothing, for a worker that holds no
   * session or no longer serves.
   */
  public boolean drain(WorkerSlot slot, Runnable onDrained) {
    Consumer<WorkerSlot> listener;
    lock.lock();
    try {
      if (slot.sessions == 0 || slot.draining || !serving.contains(slot)) {
        return false;
      }
      checkout.drain(slot);
      slot.onDrained = onDrained;
      listener = onDraining;
    } finally {
      lock.unlock();
    }
    listener.accept(slot);
    return true;
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
        if (hasRoom(slot) && (best == null || slot.sessions < best.sessions)) {
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
    Runnable drained = null;
    lock.lock();
    try {
      if (from != null && from.sessions > 0) {
        from.sessions--;
        if (from.sessions == 0 && from.onDrained != null) {
          drained = from.onDrained;
          from.onDrained = null;
        }
      }
      if (to != null) {
        to.sessions++;
      }
    } finally {
      lock.unlock();
    }
    if (drained != null) {
      drained.run();
    }
  }

  /** How many sessions {@code slot} holds. */
  public int held(WorkerSlot slot) {
    lock.lock();
    try {
      return slot.sessions;
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

  /** How many sessions the serving workers hold, or are opening. */
  public int held() {
    lock.lock();
    try {
      int held = 0;
      for (WorkerSlot slot : serving) {
        held += slot.sessions;
      }
      return held;
    } finally {
      lock.unlock();
    }
  }

  /** How many sessions the serving workers hold, and how many they may, for error messages. */
  public String describe() {
    lock.lock();
    try {
      return held() + " sessions on " + serving.size() + " serving workers, at most " + maxPerWorker + " each";
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
    return slot.hasRoomForSession(maxPerWorker);
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
