package dev.snakepit;

/**
 * How a worker process ended: its exit code or the signal that killed it, and the last lines it wrote
 * to stderr (where the runtime sends everything user code prints).
 *
 * @param pid the worker's process id
 * @param exitCode the exit status, or -1 when the process was killed by a signal or is still unknown
 * @param signal the name of the killing signal such as {@code SIGKILL}, or {@code null}
 * @param stderrTail the last lines of the worker's stderr, oldest first; may be empty
 */
public record WorkerExit(long pid, int exitCode, String signal, String stderrTail) {
  public WorkerExit {
    stderrTail = stderrTail == null ? "" : stderrTail;
  }

  /** {@code "exit code 3"} or {@code "signal SIGKILL"}. */
  public String describe() {
    return signal != null ? "killed by " + signal : "exit code " + exitCode;
  }
}
