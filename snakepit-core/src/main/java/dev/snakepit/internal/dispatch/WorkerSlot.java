package dev.snakepit.internal.dispatch;

import dev.snakepit.RecycleReason;
import dev.snakepit.internal.RecyclePolicy;
import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.protocol.FrameWriter;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dispatcher's view of one ready worker: where to send calls and cancels, which calls it runs, and
 * who reads its replies. Its main thread runs one call at a time, {@code current}; calls written ahead
 * of their turn wait in {@code ahead}; calls of tools that run several at once run beside it, in
 * {@code lanes} ({@link Lanes}).
 */
public final class WorkerSlot {
  /**
   * How replies are read from the worker's data socket, by whichever thread holds the worker's
   * {@linkplain ReadingRole reading role}.
   */
  public interface Replies {
    /**
     * Waits at most {@code nanos} for the worker's next frame to start arriving. Returns false when
     * the time passed, {@link #wake()} was called or the thread was interrupted; true when there is
     * something to read, which may be the connection's end.
     */
    boolean await(long nanos);

    /**
     * Reads the next frame in full and hands it to {@link Dispatcher#onReply}. Returns false when the
     * connection has ended or broke the protocol; that has then been reported and the role has
     * {@linkplain ReadingRole#end ended}.
     */
    boolean readOne();

    /** Ends a wait in {@link #await}, or makes the next one return at once. */
    void wake();
  }

  final String id;
  /** The worker's process id, which a detailed call result names. */
  final long pid;
  final FrameWriter data;
  final ControlChannel control;
  /** Null when replies are handed to {@link Dispatcher#onReply} from outside; calls then never read their own. */
  final Replies replies;

  /** Who reads replies now. Guarded by the dispatcher's lock. */
  final ReadingRole role = new ReadingRole();

  /** The call the worker is running, possibly one already abandoned by its caller. Guarded by the dispatcher's lock. */
  PendingCall current;
  /**
   * The calls host functions made back into this worker while its current call waits for them, by
   * request id. Guarded by the dispatcher's lock.
   */
  final Map<Long, PendingCall> nested = new HashMap<>();
  /**
   * The calls written to the worker's socket behind its current call, which have not begun, oldest
   * first (pipelining); each begins when the one before it is answered. Guarded by the dispatcher's lock.
   */
  final ArrayDeque<PendingCall> ahead = new ArrayDeque<>();
  /**
   * How many frames of calls given to the worker are not yet written; counted only with pipelining, so
   * that a call is written ahead only after every frame before it. Raised under the dispatcher's lock.
   */
  final AtomicInteger unwritten = new AtomicInteger();
  /** Set when the worker must get no more calls. Guarded by the dispatcher's lock. */
  boolean retired;
  /** The last request id used on this worker's connection. Guarded by the dispatcher's lock. */
  long lastRequestId;
  /**
   * The calls of strict sessions that wait for this worker, oldest first; a freed worker takes them
   * before the calls any worker may take. Guarded by the dispatcher's lock.
   */
  final ArrayDeque<PendingCall> pinned = new ArrayDeque<>();
  /** How many sessions the worker holds, or is opening. Guarded by the dispatcher's lock. */
  int sessions;
  /**
   * Set while the worker is drained before it stops: it serves only its sessions' calls, and gets no
   * new session. Guarded by the dispatcher's lock.
   */
  boolean draining;
  /** Run once the last session of a draining worker has left it. Guarded by the dispatcher's lock. */
  Runnable onDrained;
  /**
   * Run once a retired worker has no call left, neither its current one nor one written ahead to it.
   * Guarded by the dispatcher's lock.
   */
  Runnable onIdle;

  /** When the worker is due for recycling; counts its answered calls. */
  private final RecyclePolicy recycling;

  /**
   * How many calls of each tool the worker runs at once, for the tools that run more than one (from
   * its HELLO); the others run one at a time, as its current call.
   */
  final Map<String, Integer> concurrency;
  /**
   * The calls the worker runs beside its current call, by request id: calls of tools whose concurrency
   * is above 1. Guarded by the dispatcher's lock.
   */
  final Map<Long, PendingCall> lanes = new HashMap<>();
  /** How many of {@link #lanes} each tool has. Guarded by the dispatcher's lock. */
  final Map<String, Integer> lanesByTool = new HashMap<>();

  public WorkerSlot(String id, long pid, FrameWriter data, ControlChannel control) {
    this(id, pid, data, control, null, RecyclePolicy.NEVER);
  }

  /** A slot whose replies {@code replies} reads (null: none are read here), recycled as {@code recycling} says. */
  public WorkerSlot(String id, long pid, FrameWriter data, ControlChannel control, Replies replies, RecyclePolicy recycling) {
    this(id, pid, data, control, replies, recycling, Map.of());
  }

  /** The same, for a worker that runs the tools {@code concurrency} names that many calls at a time. */
  public WorkerSlot(String id, long pid, FrameWriter data, ControlChannel control, Replies replies, RecyclePolicy recycling,
      Map<String, Integer> concurrency) {
    this.id = id;
    this.pid = pid;
    this.data = data;
    this.control = control;
    this.replies = replies;
    this.recycling = recycling;
    this.concurrency = Map.copyOf(concurrency);
  }

  /**
   * Whether the worker runs {@code call}, as its current call, nested in it, or beside it. Under the
   * dispatcher's lock.
   */
  boolean runs(PendingCall call) {
    return current == call || (call != null && (nested.get(call.requestId) == call || lanes.get(call.requestId) == call));
  }

  /** Whether the worker runs no call at all. Under the dispatcher's lock. */
  boolean idle() {
    return current == null && lanes.isEmpty();
  }

  /** Whether the worker may take one more session, holding at most {@code max}. Under the dispatcher's lock. */
  boolean hasRoomForSession(int max) {
    return sessions < max && !draining;
  }

  /**
   * Counts an answered call; returns why the worker should now be recycled, once, or null. Under the
   * dispatcher's lock.
   */
  RecycleReason answered(boolean error) {
    return recycling.answered(error);
  }

  public String id() {
    return id;
  }

  public long pid() {
    return pid;
  }

  /** The writer of the worker's data plane. */
  public FrameWriter data() {
    return data;
  }
}
