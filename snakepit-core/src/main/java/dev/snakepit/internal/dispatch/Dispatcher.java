package dev.snakepit.internal.dispatch;

import dev.snakepit.RecycleReason;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Routes calls to ready workers: hands a free worker to each call, or queues the call (bounded, with an
 * acquire timeout) until one frees up; enforces each call's deadline; turns replies into results.
 *
 * <p>Everything below is guarded by {@link #lock}, including the parts that are classes of their own:
 * the {@link Checkout} (idle workers, waiting calls), the {@link BusyWorkers}, the {@link DeadlineSweep},
 * the {@link SessionPlacement} and each worker's {@link ReadingRole}; those that take a lock take this
 * one. Invariants: a slot is idle only if it is not retired and has no current call; a queued call has
 * no slot; the busy workers are exactly the slots with a current call or a call in a {@linkplain Lanes
 * lane}; a call of a strict session
 * waits only in its worker's own queue. Frames are written outside the lock, so a slow socket never
 * blocks other callers. A worker keeps a call until its reply arrives or the worker dies, even when the
 * caller was answered earlier (deadline, cancel): a worker still busy past the cancel grace is reported
 * {@linkplain DispatchHost#broken broken}. Streamed items go through {@link StreamRouting}, calls from
 * Python to Java and the calls nested in them through {@link HostCalls}.
 *
 * <p>Replies are read by whoever holds the worker's {@linkplain ReadingRole reading role}, a synchronous
 * caller or the worker's reader thread; {@link ReadingHandOff} moves it between them. Every path that
 * assigns, releases or retires a worker leaves the role with exactly one thread while the worker runs a
 * call, and with nobody when it is idle or gone.
 *
 * <p>Deadlines (a running call's timeout, a queued call's acquire timeout) are not a timer each: see
 * {@link DeadlineSweep}. The sweep runs on the pool's control-loop executor; the dispatcher never blocks
 * it. Every error a call ends with is built by {@link CallFailures}, and every call is answered through
 * {@link CallCompletion}.
 */
public final class Dispatcher {
  /** How many workers are idle and busy, how many calls wait for one, how many sessions and streams are open. */
  public record Counts(int idle, int busy, int queued, int sessions, int streams) {}

  /**
   * How long before it reports a worker that overran its cancel grace the dispatcher asks it for its
   * stacks: the time the supervisor would otherwise wait for them before the kill, so that the caller's
   * TIMEOUT comes at the end of the grace and not later.
   */
  public static final Duration STACK_DUMP_LEAD = Duration.ofMillis(200);

  private final String pool;
  private final DispatchLimits limits;
  private final Ticker ticker;
  private final Events events;
  private final DispatchHost host;
  private final CallFailures failures;
  private final CallCompletion completion;
  private final Cancellation cancels;
  private final ReadingHandOff reading;
  private final StreamRouting chunks;
  private final HostCalls hostCalls;
  /** Calls written to busy workers ahead of their turn. Guarded by lock. */
  private final AheadCalls ahead;
  /** Calls that run beside others on their worker. Guarded by lock. */
  private final Lanes lanes;
  private final Resending resending;
  private final Departures departures;
  private final AtomicLong callIds = new AtomicLong();

  private final ReentrantLock lock = new ReentrantLock();
  /** Idle workers and waiting calls. Guarded by lock. */
  private final Checkout checkout;
  /** Guarded by lock. */
  private final DeadlineSweep deadlines;
  /** Workers running a call. Guarded by lock. */
  private final BusyWorkers busy;
  /** The serving workers and the sessions each holds. Guarded by lock. */
  private final SessionPlacement sessions;

  public Dispatcher(String pool, DispatchLimits limits, ScheduledExecutorService timer, Ticker ticker, Events events, Counters counters,
      DispatchHost host) {
    this.pool = pool;
    this.limits = limits;
    this.ticker = ticker;
    this.events = events;
    this.host = host;
    this.failures = new CallFailures(pool, host::counts);
    this.completion = new CallCompletion(pool, events, counters, failures);
    this.reading = new ReadingHandOff(lock, ticker);
    int maxSessions = limits.maxSessionsPerWorker();
    this.checkout = new Checkout(limits.maxQueue(), !limits.acquireTimeout().isZero(), slot -> slot.hasRoomForSession(maxSessions));
    this.sessions = new SessionPlacement(lock, limits.maxSessionsPerWorker(), checkout);
    this.deadlines = new DeadlineSweep(timer, ticker, this::sweep);
    this.busy = new BusyWorkers(lock, ticker, deadlines);
    this.cancels = new Cancellation(lock, checkout, limits, timer, host, failures, completion, busy::allWaitingForHost);
    this.ahead = new AheadCalls(limits.pipelineDepth(), events, host, cancels);
    this.lanes = new Lanes(ticker, deadlines, busy, ahead.enabled());
    this.resending = new Resending(this, lock, checkout, reading, busy, lanes, completion, failures, sessions);
    this.chunks = new StreamRouting(lock, host);
    this.hostCalls = new HostCalls(pool, lock, host, limits, ticker, events, completion, callIds::incrementAndGet);
    this.departures = new Departures(this, lock, reading, busy, lanes, ahead, hostCalls, resending, cancels, completion,
        failures, sessions);
  }

  /** Accepts a call whose body is already encoded and within the frame limit; the reader thread reads its reply. */
  public PendingCall submit(String tool, EncodedBody body, Duration timeout) {
    return submit(FrameKind.CALL, tool, body, null, null, timeout, false, false);
  }

  /**
   * Accepts a frame of {@code kind} (a CALL or a session frame) that is answered like a call, its body
   * already encoded and within the frame limit, to run where {@code target} says (null: on any worker);
   * {@code tool} names it in events and messages. A streamed call's items go to {@code stream} (null
   * for a plain call), read by the worker's reader thread. With {@code readsOwnReply} (never for a
   * stream) the calling thread must then call {@link #readOwnReply}, which reads the reply on that thread.
   * A {@code batch} (section 4.15) runs one at a time on its worker, as streams and session calls do;
   * other calls of a tool whose concurrency is above 1 run beside other calls ({@link Lanes}).
   */
  public PendingCall submit(FrameKind kind, String tool, EncodedBody body, Target target, StreamItems stream, Duration timeout,
      boolean readsOwnReply, boolean batch) {
    PendingCall call = new PendingCall(callIds.incrementAndGet(), kind, tool, body, target, stream,
        timeout == null ? limits.callTimeout() : timeout, readsOwnReply && stream == null, ticker.nanoTime());
    events.callStart(call.callId, tool);
    events.checkoutStart(call.callId, tool);
    WorkerSlot slot = null;
    WorkerSlot behind = null;
    WorkerSlot lane = null;
    Checkout.Admission admission;
    lock.lock();
    try {
      call.overlaps = lanes.overlaps(kind, tool, target, stream, batch);
      if (call.overlaps && !checkout.closed() && (lane = lanes.slotFor(call)) != null) {
        lanes.start(lane, call);
        admission = Checkout.Admission.WORKER;
      } else if ((admission = call.pinned() ? checkout.admit(target.slot())
          : call.overlaps ? checkout.admitToLane() : checkout.admit()) == Checkout.Admission.WORKER) {
        slot = checkout.take(target);
        assign(slot, call);
      } else if (admission == Checkout.Admission.WAIT && (behind = ahead.slotFor(call, busy)) != null) {
        ahead.place(behind, call);
        armAcquireTimeout(call);
      } else if (admission == Checkout.Admission.WAIT) {
        enqueue(call, false);
      }
    } finally {
      lock.unlock();
    }
    if (slot != null) {
      send(slot, call);
    } else if (lane != null) {
      send(lane, call);
    } else if (behind != null) {
      ahead.write(behind, List.of(call));
    } else if (admission != Checkout.Admission.WAIT) {
      completion.failCheckout(call, failures.refused(call, admission, limits.maxQueue()));
    }
    return call;
  }

  /** Cancels a call for its caller: a queued call is dropped, a running one is told to stop. */
  public void cancel(PendingCall call, String why) {
    cancels.cancel(call, why);
  }

  /** A worker became ready: it takes the oldest queued call, or waits in the idle set. */
  public void add(WorkerSlot slot) {
    PendingCall next;
    List<PendingCall> started;
    lock.lock();
    try {
      sessions.serving(slot);
      lanes.serving(slot);
      next = checkout.free(slot);
      if (next != null) {
        assign(slot, next);
      }
      started = lanes.fill(slot, checkout);
    } finally {
      lock.unlock();
    }
    if (next != null) {
      sendAndWake(slot, next);
    }
    sendAll(slot, started);
  }

  /** The worker gets no more calls; one it is running may still finish. */
  public void retire(WorkerSlot slot) {
    retire(slot, null);
  }

  /**
   * The worker gets no more calls, and {@code idle} runs once it has finished those it has: at once if
   * it runs none, else on the thread that reads its last reply; never if it dies first. A frame written
   * by {@code idle} (SHUTDOWN) thus reaches the worker behind every call it was given, even one a
   * caller took it for just before and is still writing.
   */
  public void retire(WorkerSlot slot, Runnable idle) {
    departures.retire(slot, idle);
  }

  /**
   * The worker's process has exited: waits at most {@code timeout} until what it wrote before it died
   * has been read (the thread reading its socket reads on to the end), so that a reply it sent just
   * before is not lost, and a call written ahead that it may have begun is not taken for one it never
   * began. Call before its channels are closed, then {@link #gone}.
   */
  public void awaitLastReplies(WorkerSlot slot, Duration timeout) throws InterruptedException {
    departures.awaitLastReplies(slot, timeout);
  }

  /** The worker is dead: the calls it runs, if their callers still wait, fail with {@code errorFor}'s error. */
  public void gone(WorkerSlot slot, Function<String, SnakepitException> errorFor) {
    departures.gone(slot, errorFor);
  }

  /** A RESULT or ERROR frame arrived from {@code slot}; runs on the thread holding its reading role. */
  public void onReply(WorkerSlot slot, Frame frame) {
    long now = ticker.nanoTime(); // before the lock: waiting for it is no part of the call's run
    PendingCall call;
    PendingCall next = null;
    boolean begun = false;
    List<PendingCall> refill = List.of();
    RecycleReason recycle = null;
    PendingCall nested = null;
    Runnable idle = null;
    List<PendingCall> started = List.of();
    boolean inLane = false;
    lock.lock();
    try {
      call = slot.current;
      if (call == null || call.requestId != frame.requestId()) {
        call = lanes.finish(slot, frame.requestId());
        inLane = call != null;
        if (!inLane && (nested = slot.nested.remove(frame.requestId())) != null) {
          nested.answeredBy = slot;
          nested.answeredNanos = now;
        }
      } else {
        busy.release(slot);
        call.readingFrom = null;
      }
      if (call != null) {
        call.answeredBy = slot;
        call.answeredNanos = now;
        recycle = slot.answered(frame.kind() == FrameKind.ERROR);
      }
      if (inLane) {
        started = lanes.fill(slot, checkout);
        if (slot.idle()) {
          idle = nothingLeft(slot);
        }
      } else if (call != null) {
        next = slot.ahead.pollFirst();
        if (next != null) {
          begun = true; // written ahead: it begins now, with nothing to send
          reading.give(slot, next);
          busy.start(slot, next);
        } else if ((next = checkout.free(slot)) != null) {
          assign(slot, next);
        } else if (!slot.lanes.isEmpty()) {
          slot.role.giveTo(false); // the reader thread reads on, for the calls in lanes
        } else {
          idle = nothingLeft(slot);
        }
        if (begun) {
          refill = ahead.refill(slot, checkout);
        } else {
          started = lanes.fill(slot, checkout);
        }
      }
    } finally {
      lock.unlock();
    }
    if (nested != null) {
      completion.complete(slot, nested, frame); // the worker goes on with the call that waited for it
      return;
    }
    if (call == null) {
      host.broken(slot, CallFailures.strayReply(frame.requestId()), WorkerExit.PoolReason.PROTOCOL);
      return;
    }
    events.checkin(call.callId, call.tool, slot.id, call.submittedNanos, now);
    if (recycle != null) {
      host.recycle(slot, recycle);
    }
    if (idle != null) {
      idle.run();
    }
    if (begun) {
      ahead.begin(slot, next);
    } else if (next != null) {
      // Keep the worker busy while this thread decodes the previous result.
      sendAndWake(slot, next);
    }
    sendAll(slot, started);
    if (!refill.isEmpty()) {
      // Not on this thread: the worker reads them only after its current call, and this thread may be
      // the one that is to read that call's reply, which could wait for it.
      List<PendingCall> calls = refill;
      Thread.startVirtualThread(() -> ahead.write(slot, calls));
    }
    completion.complete(slot, call, frame);
  }

  /** The frames of streamed calls: CHUNK from the workers, CREDIT back. */
  public StreamRouting streams() {
    return chunks;
  }

  /** Calls from Python to Java, and the calls their functions nest into the waiting worker. */
  public HostCalls hostCalls() {
    return hostCalls;
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
    reading.readOwnReply(call, deadlineNanos);
  }

  /**
   * Blocks the worker's reader thread until it holds the worker's reading role; false once nobody is
   * to read the worker's socket again.
   */
  public boolean awaitReadingTurn(WorkerSlot slot) throws InterruptedException {
    return reading.awaitReaderTurn(slot);
  }

  /**
   * The worker's data connection ended, or broke the protocol (already reported to the host): nobody
   * reads it again, and it gets no more calls. A call it runs is answered by the worker's exit.
   */
  public void readingEnded(WorkerSlot slot) {
    Withdrawal withdrawn;
    lock.lock();
    try {
      withdrawn = withdraw(slot);
      reading.end(slot);
    } finally {
      lock.unlock();
    }
    ReadingHandOff.wake(slot);
    withdrawn.settle("lost its connection", completion, failures, sessions);
  }

  /** Refuses new calls and fails the queued ones with POOL_CLOSED. Running calls go on. */
  public void close() {
    List<PendingCall> dropped;
    lock.lock();
    try {
      dropped = checkout.close();
    } finally {
      lock.unlock();
    }
    for (PendingCall call : dropped) {
      completion.failCheckout(call, failures.closedWhileWaiting(call));
    }
  }

  /** Waits until no worker runs a call, or {@code timeout} passes; true if none runs. */
  public boolean awaitNoneBusy(Duration timeout) throws InterruptedException {
    return busy.awaitNoneLocking(timeout);
  }

  /** Whether the worker is running a call now. */
  public boolean running(WorkerSlot slot) {
    return busy.runningLocking(slot);
  }

  /** Where sessions go, and how many each worker holds. */
  public SessionPlacement sessions() {
    return sessions;
  }

  /** Counts for stats. */
  public Counts counts() {
    lock.lock();
    try {
      return new Counts(checkout.idleCount() - busy.idleWithLanes(), busy.size(), checkout.waitingCount() + ahead.waiting(busy), sessions.held(),
          busy.streaming());
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives the call to the worker, and the worker's reading role to the call's caller if it reads its
   * own reply, or else to the worker's reader thread. Under lock; whoever sends the call then wakes a
   * caller parked for a worker ({@link #sendAndWake}).
   */
  void assign(WorkerSlot slot, PendingCall call) {
    reading.give(slot, call);
    busy.start(slot, call);
    if (ahead.enabled()) {
      slot.unwritten.incrementAndGet(); // its frame is written next, after the lock
    }
  }

  /** Queues a call for at most the acquire timeout; at the head if it was taken back from a worker. Under lock. */
  void enqueue(PendingCall call, boolean first) {
    checkout.enqueue(call, first);
    armAcquireTimeout(call);
  }

  /** The waiting call stops waiting for a worker after the acquire timeout. Under lock. */
  private void armAcquireTimeout(PendingCall call) {
    call.acquireDeadlineNanos = DeadlineSweep.after(ticker.nanoTime(), limits.acquireTimeout());
    deadlines.sweepBy(call.acquireDeadlineNanos);
  }

  /** The worker gets no more calls. Under lock; {@linkplain Withdrawal#settle settle} the result without it. */
  Withdrawal withdraw(WorkerSlot slot) {
    slot.retired = true;
    lanes.withdraw(slot);
    return Withdrawal.of(slot, checkout.withdraw(slot), sessions.ended(slot));
  }

  /** Expires the calls whose deadline has passed; runs on the timer, for {@link DeadlineSweep}. */
  private void sweep() {
    List<PendingCall> late = new ArrayList<>();
    List<PendingCall> waitedTooLong = new ArrayList<>();
    lock.lock();
    try {
      deadlines.collect(busy, ahead.withWaiting(checkout.waiting(), busy), late, waitedTooLong);
    } finally {
      lock.unlock();
    }
    late.forEach(cancels::deadlinePassed);
    waitedTooLong.forEach(cancels::waitedTooLong);
  }

  /**
   * Sends a call that waited for a worker, then wakes its caller if it parked to read the reply: the
   * wake-up costs a system call, which the worker need not wait for.
   */
  void sendAndWake(WorkerSlot slot, PendingCall call) {
    send(slot, call);
    call.wakeWaiter();
  }

  /**
   * The worker answered its last call and got no other: nobody reads its socket until it gets one, and
   * the hook set for that moment ({@link #retire}) is taken, to run after the lock. Under lock.
   */
  private static Runnable nothingLeft(WorkerSlot slot) {
    slot.role.release();
    Runnable idle = slot.onIdle;
    slot.onIdle = null;
    return idle;
  }

  /** Sends calls started in lanes of {@code slot}, in order. */
  private void sendAll(WorkerSlot slot, List<PendingCall> calls) {
    for (PendingCall call : calls) {
      send(slot, call);
    }
  }

  private void send(WorkerSlot slot, PendingCall call) {
    if (!call.checkedOut) {
      call.checkedOut = true;
      events.checkoutStop(call.callId, call.tool, slot.id, call.submittedNanos, call.checkoutNanos);
    }
    // The writer holds the caller's interrupt back until the frame is out: an interrupt during a
    // channel write closes the channel, which would kill a healthy worker for the caller's sake.
    try {
      slot.data.write(call.kind, call.requestId, call.body);
      written(slot);
    } catch (IOException e) {
      written(slot);
      // The worker cannot have read a frame it was not sent in full, so the call never ran there:
      // it goes back to the head of the queue, or to another free worker.
      resending.retry(slot, call);
      host.lost(slot, CallFailures.sendFailed(e));
    } catch (FrameTooLargeException e) {
      written(slot);
      // Checked before the call was accepted; kept as a guard so that a slot can never stay busy.
      gone(slot, tool -> failures.tooLarge(slot, tool, e));
    }
  }

  private void written(WorkerSlot slot) {
    if (ahead.enabled()) {
      slot.unwritten.decrementAndGet();
    }
  }
}
