package dev.snakepit;

/**
 * How a worker process ended: why (as data), its exit code or the signal that killed it, and the last
 * lines it wrote to stderr (where the runtime sends everything user code prints, and where a native
 * crash or a hang leaves the Python stacks of its threads).
 *
 * @param pid the worker's process id
 * @param exitCode the exit status, or -1 when the process was killed by a signal or is still unknown
 * @param signal the name of the killing signal such as {@code SIGKILL} or {@code SIGSEGV}, or {@code null}
 * @param stderrTail the last lines of the worker's stderr, oldest first; may be empty
 * @param cause why the worker ended
 * @param poolReason what made the pool kill or stop it, for {@link Cause#KILLED_BY_POOL} and
 *     {@link Cause#STOPPED_BY_POOL}; {@code null} otherwise
 */
public record WorkerExit(long pid, int exitCode, String signal, String stderrTail, Cause cause, PoolReason poolReason) {
  /** Why a worker ended. */
  public enum Cause {
    /** It exited by itself with {@link #exitCode()} (a tool called {@code os._exit}, the runtime gave up). */
    EXITED,
    /** A signal the pool did not send ended it: a native crash ({@code SIGSEGV}, {@code SIGABRT}), a kill from outside. */
    SIGNALED,
    /** The kernel killed it for going over its memory cap ({@link PoolConfig#workerMemoryLimit()}). */
    OUT_OF_MEMORY,
    /** The pool killed it for misbehaving; {@link #poolReason()} says how. */
    KILLED_BY_POOL,
    /** The pool stopped it on purpose (closing, recycling, resizing); {@link #poolReason()} says which. */
    STOPPED_BY_POOL
  }

  /** What made the pool kill or stop a worker. */
  public enum PoolReason {
    /** No heartbeat within the heartbeat timeout: frozen, or wedged holding the GIL. */
    HEARTBEAT,
    /** A call overran its deadline by more than the cancel grace. */
    DEADLINE,
    /** It broke the protocol on either plane, or failed the handshake. */
    PROTOCOL,
    /** It did not become ready within the start timeout. */
    START_TIMEOUT,
    /** Its data connection ended, and it was still alive a moment later. */
    CONNECTION_LOST,
    /** It was recycled (calls served, age, memory, error rate). */
    RECYCLE,
    /** The pool was resized down. */
    RESIZE,
    /** The pool closed. */
    SHUTDOWN
  }

  public WorkerExit {
    stderrTail = stderrTail == null ? "" : stderrTail;
    if (cause == null) {
      cause = signal != null ? Cause.SIGNALED : Cause.EXITED;
    }
  }

  /** An exit the pool had no part in: {@link Cause#EXITED}, or {@link Cause#SIGNALED} when {@code signal} is set. */
  public WorkerExit(long pid, int exitCode, String signal, String stderrTail) {
    this(pid, exitCode, signal, stderrTail, null, null);
  }

  /** {@code "exit code 3"}, {@code "killed by SIGKILL"}, or why the kernel killed it. */
  public String describe() {
    if (cause == Cause.OUT_OF_MEMORY) {
      return "killed by the kernel for going over its memory limit (" + signal + ")";
    }
    return signal != null ? "killed by " + signal : "exit code " + exitCode;
  }
}
