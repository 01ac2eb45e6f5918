package dev.snakepit.internal.dispatch;

import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.FrameKind;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A call from the moment the pool accepts it until its future completes. The future completes exactly
 * once; whoever {@linkplain #claim() claims} the call first (the reply, the deadline, the caller's
 * cancel, the worker's death, the pool's close) wins, counts the call and emits its closing event,
 * and only then completes the future, so a caller that has its answer sees it in the pool's stats.
 */
public final class PendingCall {
  final long callId;
  /** What the worker is asked to do: CALL, or one of the session frames. */
  final FrameKind kind;
  /** The tool, or the session hook, named in events and messages. */
  final String tool;
  final EncodedBody body;
  /** Where the call is to run; null for any worker. */
  final Target target;
  /** Where the items of a streamed call go; null for a plain call. */
  final StreamItems stream;
  final Duration timeout;
  final long submittedNanos;
  final CompletableFuture<Object> future = new CompletableFuture<>();
  private final AtomicBoolean claimed = new AtomicBoolean();

  /**
   * Whether the call may run beside other calls on its worker, in a {@linkplain Lanes lane}: a plain
   * call of a tool whose concurrency is above 1. Set before the call is published.
   */
  boolean overlaps;
  /** The worker running the call, once it has one. Guarded by the dispatcher's lock. */
  WorkerSlot slot;
  /**
   * The busy worker whose socket holds this call behind the call it runs, until the call begins there
   * (pipelining); null otherwise. Guarded by the dispatcher's lock.
   */
  WorkerSlot aheadOn;
  /** The call's id on its worker's connection. Guarded by the dispatcher's lock. */
  long requestId;
  /** Set once the caller has been answered without the worker's reply. Guarded by the dispatcher's lock. */
  boolean abandoned;
  /**
   * Set when the call's deadline passed: what its TIMEOUT error says. The caller is answered when the
   * worker stops the call (its reply carries the traceback of where the cancel landed) or when the
   * worker is killed for overrunning the cancel grace (its error carries the worker's stack dump).
   * Guarded by the dispatcher's lock.
   */
  String timedOut;
  /**
   * Whether the caller reads the reply itself when the call gets a worker: set for a synchronous
   * caller, cleared when it stops waiting. Written only by the calling thread, under the dispatcher's
   * lock once the call is submitted; others read it under the lock.
   */
  boolean callerReads;
  /**
   * The worker whose replies this call's caller reads itself, while it holds that worker's reading
   * role; null otherwise. Written under the dispatcher's lock; volatile so that a caller waiting for
   * a worker can check it without the lock.
   */
  volatile WorkerSlot readingFrom;
  /** The caller parked until its call gets a worker or is answered; null when none is. */
  volatile Thread waiter;
  /** Whether the call's checkout-stop event was emitted; a call sent again does not emit it twice. */
  boolean checkedOut;
  /**
   * When the call got its worker, right before its frame was written: the end of its queued time and
   * the start of its run. Guarded by the dispatcher's lock.
   */
  long checkoutNanos;
  /** The worker whose reply answered the call, once one did. Guarded by the dispatcher's lock. */
  WorkerSlot answeredBy;
  /** When that reply had been read, the end of the call's run. Guarded by the dispatcher's lock. */
  long answeredNanos;

  /** 0 for a call from outside the pool, n + 1 for one a host function of a depth-n call made. */
  int depth;
  /** The threads running host functions for this call, while it runs; null until it makes one. Guarded by the dispatcher's lock. */
  Set<Thread> hostThreads;

  /** When the running call times out, in {@link Ticker} terms. Guarded by the dispatcher's lock. */
  long deadlineNanos;
  /** When the queued call stops waiting for a worker. Guarded by the dispatcher's lock. */
  long acquireDeadlineNanos;

  PendingCall(long callId, String tool, EncodedBody body, Duration timeout, boolean callerReads, long submittedNanos) {
    this(callId, FrameKind.CALL, tool, body, null, null, timeout, callerReads, submittedNanos);
  }

  PendingCall(long callId, FrameKind kind, String tool, EncodedBody body, Target target, StreamItems stream, Duration timeout,
      boolean callerReads, long submittedNanos) {
    this.stream = stream;
    this.callerReads = callerReads;
    this.callId = callId;
    this.kind = kind;
    this.tool = tool;
    this.body = body;
    this.target = target;
    this.timeout = timeout;
    this.submittedNanos = submittedNanos;
  }

  /** Completes with the result or a {@code SnakepitException}. */
  public CompletableFuture<Object> future() {
    return future;
  }

  public long callId() {
    return callId;
  }

  public String tool() {
    return tool;
  }

  /**
   * The worker whose reply completed the future with a value. Read it, and the times below, only once
   * the future has completed with a value: its completion publishes them.
   */
  public WorkerSlot answeredBy() {
    return answeredBy;
  }

  /** Nanoseconds from the call's acceptance until it was handed to the worker that answered it. */
  public long queuedNanos() {
    return checkoutNanos - submittedNanos;
  }

  /** Nanoseconds from the call's hand-over to that worker until its reply had been read. */
  public long ranNanos() {
    return answeredNanos - checkoutNanos;
  }

  /** Whether the call is still unanswered; the first to claim it must then complete its future. */
  boolean claim() {
    return claimed.compareAndSet(false, true);
  }

  /**
   * Parks the caller until it holds a worker's reading role for this call (returned), or the call is
   * answered, or {@code deadlineNanos} passes (null). Needs no lock: the dispatcher publishes the role
   * through {@link #readingFrom} and then {@linkplain #wakeWaiter wakes} the caller.
   */
  WorkerSlot awaitReadingSlot(long deadlineNanos, Ticker ticker) throws InterruptedException {
    WorkerSlot slot = readingFrom;
    if (slot != null || future.isDone()) {
      return slot; // the common case: the call found a free worker
    }
    waiter = Thread.currentThread();
    try {
      while ((slot = readingFrom) == null && !future.isDone()) {
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        long left = deadlineNanos - ticker.nanoTime();
        if (left <= 0) {
          return null;
        }
        LockSupport.parkNanos(this, left);
      }
      return slot;
    } finally {
      waiter = null;
    }
  }

  /** Wakes a caller parked until the call gets a worker; after the future completes, or the role is given. */
  void wakeWaiter() {
    Thread parked = waiter;
    if (parked != null) {
      LockSupport.unpark(parked);
    }
  }

  /** Whether the call may run only on its target's worker, and so waits in that worker's own queue. */
  boolean pinned() {
    return target != null && target.strict();
  }

  /** Interrupts the host functions running for this call: it was cancelled, timed out, or its worker died. Under the dispatcher's lock. */
  void interruptHostThreads() {
    if (hostThreads != null) {
      hostThreads.forEach(Thread::interrupt);
    }
  }

  /** Whether the call has been claimed by whoever answers it. */
  boolean claimed() {
    return claimed.get();
  }
}
