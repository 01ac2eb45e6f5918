package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.PythonError;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.PythonErrors;
import java.util.Map;

/** The exceptions for a worker's death: of a call it was running, and of a pool that could not start. */
final class Failures {
  /** How the worker runtime starts the stderr report of a failed start. */
  private static final String RUNTIME_REPORT = "snakepit: worker failed to start (";

  private Failures() {}

  /** The error of the call {@code worker} was running when it died. */
  static SnakepitException callLost(String pool, Worker worker, WorkerExit exit, String tool) {
    String where = "worker " + worker.id + " (pid " + worker.pid() + ") of pool '" + pool + "'";
    if (worker.failure == null && worker.stopReason != null) {
      return SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' closed while tool '" + tool
          + "' was running on " + where + "; the call did not finish within the shutdown grace")
          .pool(pool).worker(worker.id).tool(tool).workerExit(exit).build();
    }
    String what = worker.failure != null
        ? where + " was killed while running tool '" + tool + "': " + worker.failure + " (" + exit.describe() + ")"
        : where + " died while running tool '" + tool + "': " + exit.describe();
    return SnakepitException.builder(ErrorKind.WORKER_CRASHED, what + stderr(exit))
        .pool(pool).worker(worker.id).tool(tool).workerExit(exit).build();
  }

  /** Why a worker of a starting pool never became ready. */
  static SnakepitException startFailed(String pool, String adapter, Worker worker, WorkerExit exit) {
    String head = "pool '" + pool + "' could not start: worker " + worker.id + " (pid " + worker.pid() + ") ";
    Map<String, Object> fatal = worker.fatal;
    if (fatal != null) {
      PythonError error = PythonErrors.parse(fatal.get("exception"));
      StringBuilder message = new StringBuilder(head)
          .append("failed during ").append(stage(String.valueOf(fatal.get("stage"))))
          .append(" of adapter '").append(adapter).append("': ").append(fatal.get("message"));
      if (error != null && error.traceback() != null && !error.traceback().isEmpty()) {
        message.append("\nPython traceback:\n").append(error.traceback().stripTrailing());
        // What the adapter printed before failing often explains the failure; the runtime's own
        // report of it, which follows on stderr, repeats the traceback above and is left out.
        String before = beforeRuntimeReport(exit.stderrTail());
        if (!before.isEmpty()) {
          message.append("\nstderr tail:\n").append(before);
        }
      } else {
        message.append(stderr(exit));
      }
      ErrorKind kind = error != null ? ErrorKind.PYTHON_EXCEPTION : ErrorKind.WORKER_CRASHED;
      return SnakepitException.builder(kind, message.toString())
          .pool(pool).worker(worker.id).pythonError(error).workerExit(exit).cause(PythonErrors.asCause(error)).build();
    }
    if (worker.failureKind == ErrorKind.TIMEOUT || worker.failureKind == ErrorKind.INVALID_REQUEST) {
      return SnakepitException.builder(worker.failureKind, head + worker.failure + stderr(exit))
          .pool(pool).worker(worker.id).workerExit(exit).build();
    }
    String why = worker.failure != null ? " after it " + worker.failure : "";
    return SnakepitException.builder(ErrorKind.WORKER_CRASHED, head + "exited before it was ready (" + exit.describe() + ")" + why + stderr(exit))
        .pool(pool).worker(worker.id).workerExit(exit).build();
  }

  /** The stderr lines before the runtime's report of a failed start (python/snakepit/startup.py, fatal()). */
  private static String beforeRuntimeReport(String tail) {
    int report = tail.startsWith(RUNTIME_REPORT) ? 0 : tail.lastIndexOf("\n" + RUNTIME_REPORT);
    return (report < 0 ? tail : tail.substring(0, report)).stripTrailing();
  }

  private static String stage(String stage) {
    return switch (stage) {
      case "import" -> "the import";
      case "preload" -> "preload()";
      case "construct" -> "the construction";
      case "setup" -> "setup()";
      case "connect" -> "connecting to the pool";
      case "handshake" -> "the handshake";
      default -> "stage '" + stage + "'";
    };
  }

  private static String stderr(WorkerExit exit) {
    return exit.stderrTail().isEmpty() ? "; stderr was empty" : "; stderr tail:\n" + exit.stderrTail();
  }
}
