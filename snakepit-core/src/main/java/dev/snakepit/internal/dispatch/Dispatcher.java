package dev.snakepit.internal.dispatch;

import dev.snakepit.ErrorKind;
import dev.snakepit.RecycleReason;
import dev.snakepit.PythonError;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.PythonErrors;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import dev.snakepit.internal.protocol.ValueDecoder;
import dev.snakepit.internal.protocol.ValueDecodingException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Routes calls to ready workers: hands a free worker to each call, or queues the call (bounded, with an
 * acquire timeout) until one frees up; enforces each call's deadline; turns replies into results.
 *
 * <p>Invariants, all under {@link #lock}: a slot is in {@link #idle} only if it is not retired and has no
 * current call; a queued call has no slot; {@link #busy} holds exactly the slots with a current call.
 * Frames are written outside the lock, so a slow socket never blocks other callers. A worker keeps a
 * call it was given until that call's reply arrives or the worker dies, even when the caller was
 * answered earlier (deadline, cancel): the worker is still busy with it, and a worker that stays busy
 * past the cancel grace is reported {@linkplain Host#broken broken}.
 *
 * <p>Replies are read by whoever holds the worker's reading role ({@link WorkerSlot.Reading}): a
 * synchronous caller, which reads its own reply and is answered without waking any other thread (a
 * queued one is woken when its call gets a worker); or the worker's reader thread, for asynchronous
 * calls, callers on virtual threads, and a reply whose caller stopped waiting. Nobody reads an idle
 * worker's socket; its death is seen through its process's exit. Every path that assigns, releases or
 * retires a worker leaves the role with exactly one thread while the worker runs a call, and with
 * nobody when it is idle or gone.
 *
 * <p>Deadlines (a running call's timeout, a queued call's acquire timeout) are not a timer each: every call
 * records its deadline, and one sweep, scheduled for the earliest deadline pending, expires whatever is
 * due and schedules itself for the next. With uniform timeouts a new call's deadline is never the
 * earliest, so the steady state schedules nothing per call and wakes no timer thread. The sweep runs on
 * the pool's control-loop executor; the dispatcher never blocks it.
 */
public final class Dispatcher {
  /** What the dispatcher needs from the pool around it. */
  public interface Host {
    /** The worker must be killed and replaced; its current call fails when its exit is handled. */
    void broken(WorkerSlot slot, String reason, WorkerExit.PoolReason poolReason);

    /**
     * Writing to the worker failed: its process is almost certainly dying, and its exit (code, signal,
     * stderr) is what should be reported; the worker is killed only if it outlives a short grace.
     */
    void lost(WorkerSlot slot, String reason);

    /** The worker reached a recycling threshold; the pool replaces it without failing any call. */
    void recycle(WorkerSlot slot, RecycleReason reason);

    /**
     * The worker will be reported broken in {@link #STACK_DUMP_LEAD} unless its call ends first: it
     * should write its stacks now, so that the kill need not wait for them.
     */
    default void dumpStacksAhead(WorkerSlot slot) {}

    /** The pool's counts, for error messages. */
    String counts();
  }

  /** The limits the dispatcher enforces. */
  public record Limits(Duration acquireTimeout, int maxQueue, Duration callTimeout, Duration cancelGrace) {}

  /**
   * How long before it reports a worker that overran its cancel grace the dispatcher asks it for its
   * stacks: the time the supervisor would otherwise wait for them before the kill, so that the caller's
   * TIMEOUT comes at the end of the grace and not later.
   */
  public static final Duration STACK_DUMP_LEAD = Duration.ofMillis(200);

  private static final ValueDecoder DECODER = new ValueDecoder();
  private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE / 2);

  private final String pool;
  private final Limits limits;
  private final ScheduledExecutorService timer;
  private final Ticker ticker;
  private final Events events;
  private final Counters counters;
  private final Host host;
  private final AtomicLong callIds = new AtomicLong();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition noneBusy = lock.newCondition();
  /** Free workers, most recently used first (it is the warmest). Guarded by lock. */
  private final ArrayDeque<WorkerSlot> idle = new ArrayDeque<>();
  /** Calls waiting for a worker, oldest first. Guarded by lock. */
  private final ArrayDeque<PendingCall> queue = new ArrayDeque<>();
  /** Workers running a call, possibly one already abandoned by its caller. Guarded by lock. */
  private final Set<WorkerSlot> busy = new HashSet<>();
  /** The next sweep of deadlines, or null when none is pending. Guarded by lock. */
  private ScheduledFuture<?> sweep;
  /** When {@link #sweep} runs, in {@link Ticker} terms. Guarded by lock. */
  private long sweepAt;
  /** Guarded by lock. */
  private boolean closed;

  public Dispatcher(String pool, Limits limits, ScheduledExecutorService timer, Ticker ticker, Events events, Counters counters,
      Host host) {
    this.pool = pool;
    this.limits = limits;
    this.timer = timer;
    this.ticker = ticker;
    this.events = events;
    this.counters = counters;
    this.host = host;
  }

  /** Accepts a call whose body is already encoded and within the frame limit; the reader thread reads its reply. */
  public PendingCall submit(String tool, EncodedBody body, Duration timeout) {
    return submit(tool, body, timeout, false);
  }

  /**
   * Accepts a call whose body is already encoded and within the frame limit. With {@code readsOwnReply}
   * the calling thread must then call {@link #readOwnReply}, which reads the reply on that thread.
   */
  public PendingCall submit(String tool, EncodedBody body, Duration timeout, boolean readsOwnReply) {
    PendingCall call = new PendingCall(callIds.incrementAndGet(), tool, body, timeout == null ? limits.callTimeout() : timeout,
        readsOwnReply, ticker.nanoTime());
    events.callStart(call.callId, tool);
    events.checkoutStart(call.callId, tool);
    WorkerSlot slot = null;
    String refusal = null;
    ErrorKind refusalKind = ErrorKind.RESOURCE_EXHAUSTED;
    lock.lock();
    try {
      if (closed) {
        refusalKind = ErrorKind.POOL_CLOSED;
        refusal = "pool '" + pool + "' is closed";
      } else if (!idle.isEmpty()) {
        slot = idle.pop();
        assign(slot, call);
      } else if (queue.size() >= limits.maxQueue()) {
        refusal = "the wait queue of pool '" + pool + "' is full (maxQueue " + limits.maxQueue() + ")";
      } else if (limits.acquireTimeout().isZero()) {
        refusal = "no worker of pool '" + pool + "' is free and acquireTimeout is 0";
      } else {
        enqueue(call, false);
      }
    } finally {
      lock.unlock();
    }
    if (refusal != null) {
      failCheckout(call, refusalKind, refusal);
    } else if (slot != null) {
      send(slot, call);
    }
    return call;
  }

  /** Cancels a call for its caller: a queued call is dropped, a running one is told to stop. */
  public void cancel(PendingCall call, String why) {
    boolean queued;
    WorkerSlot slot;
    lock.lock();
    try {
      queued = queue.remove(call);
      slot = call.slot;
      if (!queued && (slot == null || slot.current != call || call.abandoned)) {
        return;
      }
      if (!queued) {
        call.abandoned = true;
      }
    } finally {
      lock.unlock();
    }
    if (queued) {
      failCheckout(call, ErrorKind.CANCELLED, "call of tool '" + call.tool + "' was cancelled (" + why + ") while waiting for a worker of pool '" + pool + "'");
    } else {
      abandon(slot, call, ErrorKind.CANCELLED, "call of tool '" + call.tool + "' on worker " + slot.id + " of pool '" + pool
          + "' was cancelled (" + why + "); the worker was told to stop it", "cancelled");
    }
  }

  /** A worker became ready: it takes the oldest queued call, or waits in the idle set. */
  public void add(WorkerSlot slot) {
    PendingCall next;
    lock.lock();
    try {
      next = queue.pollFirst();
      if (next != null) {
        assign(slot, next);
      } else {
        idle.push(slot);
      }
    } finally {
      lock.unlock();
    }
    if (next != null) {
      sendAndWake(slot, next);
    }
  }

  /** The worker gets no more calls; one it is running may still finish. */
  public void retire(WorkerSlot slot) {
    lock.lock();
    try {
      slot.retired = true;
      idle.remove(slot);
    } finally {
      lock.unlock();
    }
  }

  /** The worker is dead: its current call, if its caller still waits, fails with {@code errorFor}'s error. */
  public void gone(WorkerSlot slot, Function<String, SnakepitException> errorFor) {
    PendingCall call;
    lock.lock();
    try {
      slot.retired = true;
      idle.remove(slot);
      endReading(slot);
      call = slot.current;
      if (call != null) {
        release(slot);
      }
    } finally {
      lock.unlock();
    }
    if (slot.replies != null) {
      slot.replies.wake(); // a caller reading its own reply stops waiting on the dead worker's socket
    }
    if (call != null) {
      SnakepitException lost = errorFor.apply(call.tool);
      fail(call, slot.id, call.timedOut == null ? lost : SnakepitException.builder(ErrorKind.TIMEOUT, call.timedOut
          + "; it did not stop within the cancel grace of " + limits.cancelGrace().toMillis() + " ms, so the worker was killed: "
          + lost.getMessage())
          .pool(pool).worker(slot.id).tool(call.tool).pythonError(lost.pythonError().orElse(null)).workerExit(lost.workerExit().orElse(null)).build());
    }
  }

  /** A RESULT or ERROR frame arrived from {@code slot}; runs on the thread holding its reading role. */
  public void onReply(WorkerSlot slot, Frame frame) {
    long now = ticker.nanoTime(); // before the lock: waiting for it is no part of the call's run
    PendingCall call;
    PendingCall next = null;
    RecycleReason recycle = null;
    lock.lock();
    try {
      call = slot.current;
      if (call == null || call.requestId != frame.requestId()) {
        call = null;
      } else {
        call.answeredBy = slot;
        call.answeredNanos = now;
        release(slot);
        call.readingFrom = null;
        recycle = slot.answered(frame.kind() == FrameKind.ERROR);
        if (!slot.retired) {
          next = queue.pollFirst();
        }
        if (next != null) {
          assign(slot, next);
        } else {
          if (slot.reading != WorkerSlot.Reading.ENDED) {
            slot.reading = WorkerSlot.Reading.NONE;
          }
          if (!slot.retired) {
            idle.push(slot);
          }
        }
      }
    } finally {
      lock.unlock();
    }
    if (call == null) {
      host.broken(slot, "worker answered request " + frame.requestId() + ", which it was not running",
          WorkerExit.PoolReason.PROTOCOL);
      return;
    }
    events.checkin(call.callId, call.tool, slot.id, call.submittedNanos, now);
    if (recycle != null) {
      host.recycle(slot, recycle);
    }
    if (next != null) {
      // Keep the worker busy while this thread decodes the previous result.
      sendAndWake(slot, next);
    }
    complete(slot, call, frame);
  }

  /**
   * Reads the reply of a call submitted with {@code readsOwnReply} on the calling thread: waits for the
   * call to get a worker, if it was queued, then for the reply on the worker's socket, reads it and
   * answers the call. Returns when the call's future is complete, when {@code deadlineNanos}
   * ({@link Ticker} terms) passes, or when the connection ends (the worker's exit then
   * answers the call). Whenever it returns without the reply, the reading role goes to the worker's
   * reader thread, which reads the late reply.
   *
   * @throws InterruptedException when the thread was interrupted; nothing was closed, and the caller
   *     should {@linkplain #cancel cancel} the call
   */
  public void readOwnReply(PendingCall call, long deadlineNanos) throws InterruptedException {
    if (!call.callerReads) {
      return; // submitted without readsOwnReply (only the calling thread writes the flag)
    }
    try {
      WorkerSlot slot = awaitReadingRole(call, deadlineNanos);
      while (slot != null && !call.future.isDone()) {
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        long left = deadlineNanos - ticker.nanoTime();
        if (left <= 0) {
          return;
        }
        if (slot.replies.await(left) && !slot.replies.readOne()) {
          if (Thread.interrupted()) {
            throw new InterruptedException(); // the read was interrupted, and the JDK closed the socket
          }
          return;
        }
      }
    } finally {
      stopReading(call);
    }
  }

  /**
   * Parks until the call's caller holds a worker's reading role (returned), or the call is answered,
   * or the deadline passes (null).
   */
  private WorkerSlot awaitReadingRole(PendingCall call, long deadlineNanos) throws InterruptedException {
    WorkerSlot slot = call.readingFrom;
    if (slot != null || call.future.isDone()) {
      return slot; // the common case: the call found a free worker
    }
    call.waiter = Thread.currentThread();
    try {
      while ((slot = call.readingFrom) == null && !call.future.isDone()) {
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        long left = deadlineNanos - ticker.nanoTime();
        if (left <= 0) {
          return null;
        }
        LockSupport.parkNanos(call, left);
      }
      return slot;
    } finally {
      call.waiter = null;
    }
  }

  /**
   * Blocks the worker's reader thread until it holds the worker's reading role; false once nobody is
   * to read the worker's socket again.
   */
  public boolean awaitReadingTurn(WorkerSlot slot) throws InterruptedException {
    lock.lock();
    try {
      while (slot.reading != WorkerSlot.Reading.READER) {
        if (slot.reading == WorkerSlot.Reading.ENDED) {
          return false;
        }
        turnOf(slot).await();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The worker's data connection ended, or broke the protocol (already reported to the host): nobody
   * reads it again, and it gets no more calls. A call it runs is answered by the worker's exit.
   */
  public void readingEnded(WorkerSlot slot) {
    lock.lock();
    try {
      slot.retired = true;
      idle.remove(slot);
      endReading(slot);
    } finally {
      lock.unlock();
    }
    if (slot.replies != null) {
      slot.replies.wake();
    }
  }

  /** Refuses new calls and fails the queued ones with POOL_CLOSED. Running calls go on. */
  public void close() {
    List<PendingCall> dropped;
    lock.lock();
    try {
      closed = true;
      dropped = new ArrayList<>(queue);
      queue.clear();
    } finally {
      lock.unlock();
    }
    for (PendingCall call : dropped) {
      failCheckout(call, ErrorKind.POOL_CLOSED, "pool '" + pool + "' closed before a worker became free for the call of tool '" + call.tool + "'");
    }
  }

  /** Waits until no worker runs a call, or {@code timeout} passes; true if none runs. */
  public boolean awaitNoneBusy(Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (!busy.isEmpty()) {
        if (nanos <= 0) {
          return false;
        }
        nanos = noneBusy.awaitNanos(nanos);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the worker is running a call now. */
  public boolean running(WorkerSlot slot) {
    lock.lock();
    try {
      return slot.current != null;
    } finally {
      lock.unlock();
    }
  }

  /** Counts for stats: idle, busy, queued. */
  public int[] counts() {
    lock.lock();
    try {
      return new int[] {idle.size(), busy.size(), queue.size()};
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives the call to the worker, and the worker's reading role to the call's caller if it reads its
   * own reply, or else to the worker's reader thread. Under lock; whoever sends the call then wakes a
   * caller parked for a worker ({@link #sendAndWake}).
   */
  private void assign(WorkerSlot slot, PendingCall call) {
    if (slot.reading != WorkerSlot.Reading.ENDED) {
      if (call.callerReads && slot.replies != null) {
        slot.reading = WorkerSlot.Reading.CALLER;
        call.readingFrom = slot; // a caller parked for a worker is woken once the call is sent
      } else {
        slot.reading = WorkerSlot.Reading.READER;
        if (slot.readerTurn != null) {
          slot.readerTurn.signal();
        }
      }
    }
    slot.current = call;
    busy.add(slot);
    call.slot = slot;
    call.requestId = ++slot.lastRequestId;
    call.checkoutNanos = ticker.nanoTime();
    call.deadlineNanos = call.checkoutNanos + saturatedNanos(call.timeout);
    sweepBy(call.deadlineNanos);
  }

  /** Queues a call for at most the acquire timeout; at the head if it was taken back from a worker. */
  private void enqueue(PendingCall call, boolean first) {
    if (first) {
      queue.addFirst(call);
    } else {
      queue.addLast(call);
    }
    call.acquireDeadlineNanos = ticker.nanoTime() + saturatedNanos(limits.acquireTimeout());
    sweepBy(call.acquireDeadlineNanos);
  }

  /** The reader thread's turn to read {@code slot}, made on first use. Under lock. */
  private Condition turnOf(WorkerSlot slot) {
    if (slot.readerTurn == null) {
      slot.readerTurn = lock.newCondition();
    }
    return slot.readerTurn;
  }

  /** Nobody reads the worker's socket again; its reader thread, if waiting for a turn, ends. Under lock. */
  private void endReading(WorkerSlot slot) {
    slot.reading = WorkerSlot.Reading.ENDED;
    if (slot.current != null) {
      slot.current.readingFrom = null;
    }
    if (slot.readerTurn != null) {
      slot.readerTurn.signal();
    }
  }

  /**
   * The caller stops waiting: a call that gets a worker later is read by the reader thread, and a
   * reading role the caller still holds goes to the reader thread, which reads the late reply.
   */
  private void stopReading(PendingCall call) {
    if (call.readingFrom == null && call.future.isDone()) {
      return; // the usual end: the caller read its reply; an answered call is in no queue to be assigned from
    }
    lock.lock();
    try {
      call.callerReads = false;
      WorkerSlot slot = call.readingFrom;
      if (slot == null) {
        return;
      }
      call.readingFrom = null;
      if (slot.reading == WorkerSlot.Reading.CALLER) {
        slot.reading = slot.current != null ? WorkerSlot.Reading.READER : WorkerSlot.Reading.NONE;
        if (slot.current != null) {
          turnOf(slot).signal();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private void release(WorkerSlot slot) {
    slot.current.slot = null;
    slot.current = null;
    busy.remove(slot);
    if (busy.isEmpty()) {
      noneBusy.signalAll();
    }
  }

  /** Makes sure a sweep runs no later than {@code deadline}. Under lock. */
  private void sweepBy(long deadline) {
    if (sweep != null && deadline - sweepAt >= 0) {
      return; // the common case: an earlier sweep is pending already
    }
    if (sweep != null) {
      sweep.cancel(false);
    }
    sweepAt = deadline;
    try {
      sweep = timer.schedule(this::sweep, Math.max(0, deadline - ticker.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      sweep = null; // the pool has stopped its loop; close() answers every call that is left
    }
  }

  /** Expires the calls whose deadline has passed and schedules the sweep for the next deadline. */
  private void sweep() {
    List<PendingCall> late = new ArrayList<>();
    List<PendingCall> waitedTooLong = new ArrayList<>();
    lock.lock();
    try {
      sweep = null;
      long now = ticker.nanoTime();
      long next = 0;
      boolean pending = false;
      for (WorkerSlot slot : busy) {
        PendingCall call = slot.current;
        if (call.abandoned) {
          continue; // its caller has been answered; the cancel grace takes it from here
        }
        if (now - call.deadlineNanos >= 0) {
          late.add(call);
        } else if (!pending || call.deadlineNanos - next < 0) {
          next = call.deadlineNanos;
          pending = true;
        }
      }
      for (PendingCall call : queue) {
        if (now - call.acquireDeadlineNanos >= 0) {
          waitedTooLong.add(call);
        } else if (!pending || call.acquireDeadlineNanos - next < 0) {
          next = call.acquireDeadlineNanos;
          pending = true;
        }
      }
      if (pending) {
        sweepBy(next);
      }
    } finally {
      lock.unlock();
    }
    late.forEach(this::deadlineExpired);
    waitedTooLong.forEach(this::acquireExpired);
  }

  /** A duration in nanoseconds, at most about 146 years, so that deadlines never overflow. */
  private static long saturatedNanos(Duration duration) {
    return duration.compareTo(LONGEST) > 0 ? LONGEST.toNanos() : duration.toNanos();
  }

  /**
   * Sends a call that waited for a worker, then wakes its caller if it parked to read the reply: the
   * wake-up costs a system call, which the worker need not wait for.
   */
  private void sendAndWake(WorkerSlot slot, PendingCall call) {
    send(slot, call);
    call.wakeWaiter();
  }

  private void send(WorkerSlot slot, PendingCall call) {
    if (!call.checkedOut) {
      call.checkedOut = true;
      events.checkoutStop(call.callId, call.tool, slot.id, call.submittedNanos, call.checkoutNanos);
    }
    // The writer holds the caller's interrupt back until the frame is out: an interrupt during a
    // channel write closes the channel, which would kill a healthy worker for the caller's sake.
    try {
      slot.data.write(FrameKind.CALL, call.requestId, call.body);
    } catch (IOException e) {
      // The worker cannot have read a frame it was not sent in full, so the call never ran there:
      // it goes back to the head of the queue, or to another free worker.
      retry(slot, call);
      host.lost(slot, "its data connection failed while a call was sent to it (" + e.getMessage() + ")");
    } catch (FrameTooLargeException e) {
      // Checked before the call was accepted; kept as a guard so that a slot can never stay busy.
      gone(slot, tool -> SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, e.getMessage())
          .pool(pool).worker(slot.id).tool(tool).cause(e).build());
    }
  }

  /** Takes a call back from a worker that never received it and gives it to another, or queues it first. */
  private void retry(WorkerSlot failed, PendingCall call) {
    WorkerSlot slot = null;
    boolean poolClosed = false;
    String timedOut = null;
    lock.lock();
    try {
      failed.retired = true;
      idle.remove(failed);
      endReading(failed);
      if (failed.current != call) {
        return; // the worker's death was handled first and has already answered the caller
      }
      release(failed);
      if (call.abandoned || call.claimed()) {
        timedOut = call.timedOut; // a cancelled call has its answer; a timed-out one is answered below
      } else if (closed) {
        poolClosed = true;
      } else if (!idle.isEmpty()) {
        slot = idle.pop();
        assign(slot, call);
      } else {
        // The call already waited once; it waits again at most the acquire timeout, never forever.
        enqueue(call, true);
      }
    } finally {
      lock.unlock();
    }
    if (timedOut != null) {
      fail(call, failed.id, SnakepitException.builder(ErrorKind.TIMEOUT, timedOut + "; its worker failed before it received the call")
          .pool(pool).worker(failed.id).tool(call.tool).build());
    } else if (poolClosed) {
      fail(call, failed.id, SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' closed before the call of tool '"
          + call.tool + "' could be sent again after worker " + failed.id + " failed [" + host.counts() + "]")
          .pool(pool).worker(failed.id).tool(call.tool).build());
    } else if (slot != null) {
      sendAndWake(slot, call);
    }
  }

  private void acquireExpired(PendingCall call) {
    lock.lock();
    try {
      if (!queue.remove(call)) {
        return;
      }
    } finally {
      lock.unlock();
    }
    failCheckout(call, ErrorKind.RESOURCE_EXHAUSTED, "no worker of pool '" + pool + "' became free within "
        + limits.acquireTimeout().toMillis() + " ms for the call of tool '" + call.tool + "'");
  }

  private void deadlineExpired(PendingCall call) {
    WorkerSlot slot;
    lock.lock();
    try {
      slot = call.slot;
      if (slot == null || slot.current != call || call.abandoned) {
        return;
      }
      call.abandoned = true;
      call.timedOut = "call of tool '" + call.tool + "' timed out after " + call.timeout.toMillis() + " ms on worker "
          + slot.id + " of pool '" + pool + "'";
    } finally {
      lock.unlock();
    }
    // The caller waits for the cancel to land (at most the cancel grace, then the worker's stack dump
    // and death), so that its TIMEOUT says where the tool was stuck.
    cancelAndWatch(slot, call, "timeout");
  }

  /** Answers the caller now; the worker stays busy until it replies or overruns the cancel grace. */
  private void abandon(WorkerSlot slot, PendingCall call, ErrorKind kind, String message, String reason) {
    fail(call, slot.id, SnakepitException.builder(kind, message + " [" + host.counts() + "]")
        .pool(pool).worker(slot.id).tool(call.tool).build());
    cancelAndWatch(slot, call, reason);
  }

  /** Tells the worker to stop the call, and reports it broken if it still runs it after the cancel grace. */
  private void cancelAndWatch(WorkerSlot slot, PendingCall call, String reason) {
    slot.control.cancel(call.requestId, reason);
    long grace = limits.cancelGrace().toNanos();
    long lead = STACK_DUMP_LEAD.toNanos();
    if (grace > 2 * lead) {
      timer.schedule(() -> {
        if (stillRunning(slot, call)) {
          host.dumpStacksAhead(slot);
        }
      }, grace - lead, TimeUnit.NANOSECONDS);
    }
    timer.schedule(() -> {
      if (stillRunning(slot, call)) {
        host.broken(slot, "call of tool '" + call.tool + "' (request " + call.requestId + ") was still running "
            + limits.cancelGrace().toMillis() + " ms after it was cancelled", WorkerExit.PoolReason.DEADLINE);
      }
    }, grace, TimeUnit.NANOSECONDS);
  }

  private boolean stillRunning(WorkerSlot slot, PendingCall call) {
    lock.lock();
    try {
      return slot.current == call;
    } finally {
      lock.unlock();
    }
  }

  private void complete(WorkerSlot slot, PendingCall call, Frame frame) {
    if (call.claimed()) {
      return; // answered already (deadline or cancel); this is the late reply
    }
    String context = "tool '" + call.tool + "' on worker " + slot.id + " of pool '" + pool + "'";
    Object body;
    try {
      body = DECODER.decode(frame);
    } catch (ValueDecodingException e) {
      if (call.timedOut != null) {
        fail(call, slot.id, SnakepitException.builder(ErrorKind.TIMEOUT, call.timedOut + "; its late reply was unreadable: "
            + e.getMessage() + " [" + host.counts() + "]")
            .pool(pool).worker(slot.id).tool(call.tool).cause(e).build());
        return;
      }
      fail(call, slot.id, SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, "cannot read the "
          + frame.kind().name().toLowerCase() + " of " + context + ": " + e.getMessage())
          .pool(pool).worker(slot.id).tool(call.tool).cause(e).build());
      return;
    }
    Map<?, ?> map = body instanceof Map<?, ?> m ? m : Map.of();
    if (call.timedOut != null) {
      failLate(slot, call, frame.kind() == FrameKind.RESULT ? null : PythonErrors.fromErrorBody(map, pool, slot.id, call.tool, context));
    } else if (frame.kind() == FrameKind.RESULT) {
      if (call.claim()) {
        counters.callsSucceeded.increment();
        events.callStop(call.callId, call.tool, slot.id, call.submittedNanos);
        call.future.complete(map.get("value"));
        call.wakeWaiter();
      }
    } else {
      fail(call, slot.id, PythonErrors.fromErrorBody(map, pool, slot.id, call.tool, context));
    }
  }

  /** The reply to a call past its deadline: a TIMEOUT with the traceback of where the cancel stopped it. */
  private void failLate(WorkerSlot slot, PendingCall call, SnakepitException stopped) {
    String how;
    String traceback = stopped == null ? "" : stopped.pythonError().map(PythonError::traceback).orElse("").stripTrailing();
    if (stopped == null) {
      how = "; it finished after its deadline and its result was discarded";
    } else if (stopped.kind() != ErrorKind.CANCELLED) {
      how = "; it then failed: " + stopped.getMessage();
    } else if (!traceback.isEmpty()) {
      how = "; it stopped when cancelled, in:\n" + traceback;
    } else {
      how = "; it stopped when cancelled";
    }
    fail(call, slot.id, SnakepitException.builder(ErrorKind.TIMEOUT, call.timedOut + how + "\n[" + host.counts() + "]")
        .pool(pool).worker(slot.id).tool(call.tool).pythonError(stopped == null ? null : stopped.pythonError().orElse(null)).build());
  }

  private void failCheckout(PendingCall call, ErrorKind kind, String message) {
    SnakepitException error = SnakepitException.builder(kind, message + " [" + host.counts() + "]")
        .pool(pool).tool(call.tool).build();
    events.checkoutException(call.callId, call.tool, call.submittedNanos, error);
    fail(call, null, error);
  }

  private void fail(PendingCall call, String workerId, SnakepitException error) {
    if (call.claim()) {
      counters.callsFailed.increment();
      events.callException(call.callId, call.tool, workerId, call.submittedNanos, error);
      call.future.completeExceptionally(error);
      call.wakeWaiter();
    }
  }
}
