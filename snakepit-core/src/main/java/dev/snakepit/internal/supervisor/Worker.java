package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.control.StderrPump;
import dev.snakepit.internal.control.WorkerLogs;
import dev.snakepit.internal.dispatch.WorkerSlot;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One worker process and what belongs to it: its socket, its three reading threads, its state.
 *
 * <p>{@link #state} and the fields the supervisor decides ({@code failure}, {@code stopReason}) are
 * written only on the control loop; they are volatile so that other threads may read them for
 * stats and messages. The reading threads write {@code channel}, {@code fatal} and {@code hello}.
 */
final class Worker {
  final String id;
  final Path socketPath;
  final String token;
  final ServerSocketChannel server;
  final Process process;
  final long pid;
  final long spawnedNanos = System.nanoTime();
  final boolean replacement;
  final StderrPump stderr;
  final ControlChannel control;
  final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Completes on the control loop once the worker is DEAD. */
  final CompletableFuture<WorkerExit> exit = new CompletableFuture<>();

  private volatile WorkerState state = WorkerState.STARTING;
  volatile SocketChannel channel;
  /** The worker's data plane; set before its threads start. */
  volatile DataConnection data;
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
  /** This worker's recycling thresholds; set on the loop before its threads start. */
  volatile RecycleLimits limits = RecycleLimits.NONE;
  /** The worker this one replaces in a recycle, until this one is ready; loop only. */
  Worker predecessor;
  /** The worker starting to replace this one in a recycle; loop only. */
  Worker successor;
  /** Why this worker is being recycled; loop only. */
  dev.snakepit.RecycleReason recycling;
  /** When the worker last sent a HEARTBEAT (its spawn until the first), in {@link System#nanoTime()} terms. */
  volatile long lastBeatNanos = spawnedNanos;

  /** What the worker's reading threads report to the supervisor. */
  interface Reports {
    /** The worker sent FATAL: it cannot start. */
    void fatal(Worker worker, Map<String, Object> body);

    /** The worker broke the protocol or its connection; it must be killed. */
    void broken(Worker worker, String reason, ErrorKind kind, WorkerExit.PoolReason poolReason);
  }

  Worker(String pool, String id, Path socketPath, String token, ServerSocketChannel server, Process process,
      boolean replacement, int maxFrameBytes, Reports reports) {
    this.id = id;
    this.socketPath = socketPath;
    this.token = token;
    this.server = server;
    this.process = process;
    this.pid = process.pid();
    this.replacement = replacement;
    WorkerLogs logs = new WorkerLogs(pool, id);
    this.stderr = new StderrPump(process.getErrorStream(), logs);
    this.control = new ControlChannel(process.getInputStream(), process.getOutputStream(), maxFrameBytes, logs,
        new ControlChannel.Listener() {
          @Override
          public void fatal(Map<String, Object> body) {
            Worker.this.fatal = body;
            reports.fatal(Worker.this, body);
          }

          @Override
          public void violation(String description) {
            reports.broken(Worker.this, description, ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.PROTOCOL);
          }

          @Override
          public void heartbeat(long sequence) {
            lastBeatNanos = System.nanoTime();
          }
        });
  }

  /** Starts the threads that read the worker's three channels. */
  void startThreads(String pool, DataConnection dataConnection) {
    this.data = dataConnection;
    String prefix = "snakepit-" + pool + "-" + id + "-";
    threads.add(Thread.ofPlatform().daemon().name(prefix + "data").start(dataConnection));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "control").start(control));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "stderr").start(stderr));
  }

  WorkerState state() {
    return state;
  }

  /** Changes state; only the control loop calls this. */
  void moveTo(WorkerState next) {
    if (!state.canMoveTo(next)) {
      throw new IllegalStateException("worker " + id + " cannot go from " + state + " to " + next);
    }
    state = next;
  }

  Duration uptime() {
    return Duration.ofNanos(System.nanoTime() - spawnedNanos);
  }

  /** Closes the sockets and stops reading them, so the data thread ends; the socket file is removed too. */
  void closeSockets() {
    DataConnection dataConnection = data;
    if (dataConnection != null) {
      dataConnection.stop();
    }
    closeQuietly(server);
    SocketChannel ch = channel;
    if (ch != null) {
      closeQuietly(ch);
    }
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
    return "worker " + id + " (pid " + pid + ")";
  }
}
