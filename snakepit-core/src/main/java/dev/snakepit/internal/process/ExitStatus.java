package dev.snakepit.internal.process;

import dev.snakepit.WorkerExit;

/**
 * Reads the exit value Java reports for a process. On Linux and macOS Java reports a process killed
 * by signal N as {@code 128 + N}, the shell's convention, so a value in 129..192 is read as a signal.
 * The worker runtime itself never exits with such a status (it uses 0, 2, 3 and 4), so the reading is
 * only ambiguous for user code that calls {@code sys.exit(137)} and the like.
 */
public final class ExitStatus {
  private static final String[] NAMES = {
    null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
    "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
    "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
    "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"
  };

  private ExitStatus() {}

  /** The {@link WorkerExit} for a Java exit value. */
  public static WorkerExit of(long pid, int exitValue, String stderrTail) {
    if (exitValue > 128 && exitValue <= 128 + 64) {
      return new WorkerExit(pid, -1, signalName(exitValue - 128), stderrTail);
    }
    return new WorkerExit(pid, exitValue, null, stderrTail);
  }

  /** {@code SIGKILL} for 9; {@code SIGRTMIN+2} and {@code SIG50} style names beyond the classic set. */
  public static String signalName(int signal) {
    if (signal > 0 && signal < NAMES.length) {
      return NAMES[signal];
    }
    return "SIG" + signal;
  }
}
