package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.RecyclePolicy;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.control.HeartbeatMonitor;
import dev.snakepit.internal.dispatch.WorkerSlot;
import dev.snakepit.internal.protocol.Hello;
import dev.snakepit.internal.protocol.Messages;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The supervisor's bookkeeping about one worker: its state, what the pool decided about it, and what
 * it said. The process itself (the keeper the pool started, see python/snakepit/keeper.py, which forks
 * the worker and exits with its status) is {@link #process}; {@link #pid()} is the worker's own pid,
 * the one its tools see as {@code os.getpid()}.
 *
 * <p>{@link #state} and the fields the supervisor decides ({@code failure}, {@code stopReason}) are
 * written only on the control loop; they are volatile so that other threads may read them for
 * stats and messages. The reading threads write {@code fatal} and {@code hello}.
 */
final class Worker {
  final String id;
  /** The worker's pid once known (0 before): from HELLO or FATAL, or found earlier as the keeper's child. */
  private volatile long pid;
  private final Ticker ticker;
  private final Reports reports;
  final long spawnedNanos;
  final boolean replacement;
  /** Completes on the control loop once the worker is DEAD. */
  final CompletableFuture<WorkerExit> exit = new CompletableFuture<>();

  private volatile WorkerState state = WorkerState.STARTING;
  /** The process; set on the loop right after it is spawned, before the worker is in the pool's table. */
  private volatile WorkerProcess process;
  volatile WorkerSlot slot;
  volatile Hello hello;
  volatile Map<String, Object> fatal;
  /** Why the pool killed the worker against its will (protocol violation, start timeout, overrun). */
  volatile String failure;
  volatile ErrorKind failureKind;
  /** What made the pool kill or stop the worker, with {@code failure} or {@code stopReason}; loop only. */
  volatile WorkerExit.PoolReason poolReason;
  /** Set when the pool stopped the worker on purpose; the stop is then not a crash. */
  volatile String stopReason;
  /** Whether the worker ever became ready. */
  volatile boolean wasReady;
  /** Set while the worker is drained of its sessions before it stops; it no longer counts toward the size. */
  volatile boolean draining;
  /** When this worker is due for recycling; fixed before its process is spawned. */
  final RecyclePolicy recycling;
  /** When the pool last asked the worker for its stacks ({@link Ticker} terms; 0 for never); loop only. */
  long stacksDumpedNanos;
  /** When the worker last sent a HEARTBEAT (its spawn until the first). */
  final HeartbeatMonitor.Beats beats;

  /** What the worker's reading threads report to the supervisor. */
  interface Reports {
    /** The worker passed the handshake on its data plane and can take calls through {@code slot}. */
    void ready(Worker worker, WorkerSlot slot, Hello hello);

    /** The worker's data connection ended or failed after the handshake. */
    void lost(Worker worker, String reason);

    /** The worker sent FATAL: it cannot start. */
    void fatal(Worker worker, Map<String, Object> body);

    /** The worker broke the protocol or its connection; it must be killed. */
    void broken(Worker worker, String reason, ErrorKind kind, WorkerExit.PoolReason poolReason);

    /** The worker asks to be replaced (RETIRE): it received SIGTERM, say. */
    void retire(Worker worker, String reason);

    /** A HEARTBEAT said how long the worker's previous beat took to be acknowledged. */
    default void heartbeat(Worker worker, long sequence, long roundTripMicros) {}
  }

  Worker(String id, boolean replacement, RecyclePolicy recycling, Reports reports, Ticker ticker) {
    this.id = id;
    this.reports = reports;
    this.ticker = ticker;
    this.spawnedNanos = ticker.nanoTime();
    this.beats = new HeartbeatMonitor.Beats(ticker);
    this.replacement = replacement;
    this.recycling = recycling;
  }

  /** Connects the worker to its process, once spawned. */
  void attach(WorkerProcess spawned) {
    this.process = spawned;
  }

  /** The worker's process; set before the worker is in the pool's table. */
  WorkerProcess process() {
    return process;
  }

  /** What the worker's channels report, passed on to the supervisor with this worker. */
  WorkerProcess.Reports channelReports() {
    return new WorkerProcess.Reports() {
      @Override
      public void ready(WorkerSlot slot, Hello hello) {
        reports.ready(Worker.this, slot, hello);
      }

      @Override
      public void lost(String reason) {
        reports.lost(Worker.this, reason);
      }

      @Override
      public void broken(String reason, ErrorKind kind, WorkerExit.PoolReason poolReason) {
        reports.broken(Worker.this, reason, kind, poolReason);
      }

      @Override
      public void fatal(Map<String, Object> body) {
        long said = Messages.pid(body);
        if (said > 0) {
          pid = said;
        }
        Worker.this.fatal = body;
        reports.fatal(Worker.this, body);
      }

      @Override
      public void violation(String description) {
        reports.broken(Worker.this, description, ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
      }

      @Override
      public void heartbeat(long sequence, long roundTripMicros) {
        beats.beat(roundTripMicros);
        if (roundTripMicros >= 0) {
          reports.heartbeat(Worker.this, sequence, roundTripMicros);
        }
        if (pid == 0) {
          knownPid(); // while the keeper lives, so that a worker dying before HELLO is reported by its own pid
        }
      }

      @Override
      public void retire(String reason) {
        reports.retire(Worker.this, reason);
      }
    };
  }

  WorkerState state() {
    return state;
  }

  /** The worker's own pid, or the keeper's while the worker is not known yet (see {@link #knownPid()}). */
  long pid() {
    long known = knownPid();
    return known > 0 ? known : process.keeperPid();
  }

  /**
   * The worker's own pid: the one HELLO or FATAL gave, or before them the child the keeper forked
   * ({@link WorkerProcess#forkedChild}); 0 while the keeper has no such child yet, or is not spawned.
   */
  long knownPid() {
    long known = pid;
    if (known > 0) {
      return known;
    }
    Hello said = hello;
    if (said != null && said.pid() > 0) {
      pid = said.pid();
      return pid;
    }
    WorkerProcess spawned = process;
    long child = spawned == null ? 0 : spawned.forkedChild();
    if (child > 0) {
      pid = child;
    }
    return child;
  }

  /** Changes state; only the control loop calls this. */
  void moveTo(WorkerState next) {
    if (!state.canMoveTo(next)) {
      throw new IllegalStateException("worker " + id + " cannot go from " + state + " to " + next);
    }
    state = next;
  }

  Duration uptime() {
    return Duration.ofNanos(ticker.nanoTime() - spawnedNanos);
  }

  @Override
  public String toString() {
    return "worker " + id + " (pid " + pid() + ")";
  }
}
