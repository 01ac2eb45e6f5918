package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.RecyclePolicy;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.control.HeartbeatMonitor;
import dev.snakepit.internal.control.StderrPump;
import dev.snakepit.internal.control.WorkerLogs;
import dev.snakepit.internal.dispatch.WorkerConnection;
import dev.snakepit.internal.dispatch.WorkerSlot;
import dev.snakepit.internal.protocol.Hello;
import dev.snakepit.internal.protocol.Messages;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One worker process and what belongs to it: its socket, its three reading threads, its state.
 *
 * <p>The process the pool starts is the worker's keeper (python/snakepit/keeper.py): it forks the
 * worker, owns the worker's whole process tree and exits with the worker's status. {@link #process} is
 * the keeper; {@link #pid()} is the worker's own pid, the one its tools see as {@code os.getpid()}.
 *
 * <p>{@link #state} and the fields the supervisor decides ({@code failure}, {@code stopReason}) are
 * written only on the control loop; they are volatile so that other threads may read them for
 * stats and messages. The reading threads write {@code fatal} and {@code hello}.
 */
final class Worker {
  final String id;
  final Path socketPath;
  final String token;
  final ServerSocketChannel server;
  /** The keeper: the process the pool started, the worker's parent. */
  final Process process;
  final long keeperPid;
  /** The worker's pid once known (0 before): from HELLO, or found earlier as the keeper's child. */
  private volatile long pid;
  private final Ticker ticker;
  private final Reports reports;
  final long spawnedNanos;
  final boolean replacement;
  final StderrPump stderr;
  final ControlChannel control;
  final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Completes on the control loop once the worker is DEAD. */
  final CompletableFuture<WorkerExit> exit = new CompletableFuture<>();

  private volatile WorkerState state = WorkerState.STARTING;
  /** The worker's data plane; set before its threads start. */
  volatile WorkerConnection data;
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
  /** When this worker is due for recycling; set on the loop before its threads start. */
  volatile RecyclePolicy recycling = RecyclePolicy.NEVER;
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
  }

  Worker(String pool, String id, Path socketPath, String token, ServerSocketChannel server, Process process,
      boolean replacement, int maxFrameBytes, Reports reports, Ticker ticker) {
    this.id = id;
    this.reports = reports;
    this.ticker = ticker;
    this.spawnedNanos = ticker.nanoTime();
    this.beats = new HeartbeatMonitor.Beats(ticker);
    this.socketPath = socketPath;
    this.token = token;
    this.server = server;
    this.process = process;
    this.keeperPid = process.pid();
    this.replacement = replacement;
    WorkerLogs logs = new WorkerLogs(pool, id);
    this.stderr = new StderrPump(process.getErrorStream(), logs);
    this.control = new ControlChannel(process.getInputStream(), process.getOutputStream(), maxFrameBytes, logs,
        new ControlChannel.Listener() {
          @Override
          public void fatal(Map<String, Object> body) {
            long said = Messages.fatalPid(body);
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
          public void heartbeat(long sequence) {
            beats.beat();
            if (pid == 0) {
              knownPid(); // while the keeper lives, so that a worker dying before HELLO is reported by its own pid
            }
          }

          @Override
          public void retire(String reason) {
            reports.retire(Worker.this, reason);
          }
        });
  }

  /** What the worker's data plane reports, passed on to the supervisor. */
  WorkerConnection.Listener connectionListener() {
    return new WorkerConnection.Listener() {
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
    };
  }

  /** Starts the threads that read the worker's three channels. */
  void startThreads(String pool, WorkerConnection dataConnection) {
    this.data = dataConnection;
    String prefix = "snakepit-" + pool + "-" + id + "-";
    threads.add(Thread.ofPlatform().daemon().name(prefix + "data").start(dataConnection));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "control").start(control));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "stderr").start(stderr));
  }

  WorkerState state() {
    return state;
  }

  /** The worker's own pid, or the keeper's while the worker is not known yet (see {@link #knownPid()}). */
  long pid() {
    long known = knownPid();
    return known > 0 ? known : keeperPid;
  }

  /**
   * The worker's own pid: the one HELLO or FATAL gave, or before them the keeper's oldest child with
   * the keeper's command line (the keeper forks the worker first, and adopts orphans only later); 0
   * while the keeper has no such child yet.
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
    Optional<String> command = process.info().commandLine();
    long child = process.toHandle().children()
        .filter(h -> command.isEmpty() || h.info().commandLine().equals(command))
        .min(Comparator.comparing(h -> h.info().startInstant().orElse(Instant.MAX)))
        .map(ProcessHandle::pid).orElse(0L);
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

  /** Closes the sockets and stops reading them, so the data thread ends; the socket file is removed too. */
  void closeSockets() {
    WorkerConnection dataConnection = data;
    if (dataConnection != null) {
      dataConnection.close();
      return;
    }
    closeQuietly(server);
    try {
      Files.deleteIfExists(socketPath);
    } catch (IOException ignored) {
      // The run directory is deleted at close anyway.
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // Closing is best effort.
    }
  }

  @Override
  public String toString() {
    return "worker " + id + " (pid " + pid() + ")";
  }
}
