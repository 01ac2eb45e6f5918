package dev.snakepit.cli;

import dev.snakepit.SnakepitException;
import java.util.List;

/**
 * {@code snakepit demo}: the project's main job in one command. A pool of Python workers serves a few
 * thousand mixed calls from several threads; one worker is killed with SIGKILL part-way; the pool must
 * replace it, keep serving, and leave no process behind when closed. Exit status 0 only if it did.
 */
final class DemoCommand implements Command {
  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "run thousands of calls through a pool of Python workers, kill one mid-run, check the pool recovers";
  }

  @Override
  public List<Option> options() {
    return List.of(
        Option.withValue("workers", "N", "worker processes in the pool, 1 to " + DemoSettings.MAX_WORKERS
            + " (default " + DemoSettings.DEFAULT_WORKERS + ")"),
        Option.withValue("calls", "N", "calls to make, 1 to " + DemoSettings.MAX_CALLS + " (default "
            + DemoSettings.DEFAULT_CALLS + ")"),
        Option.withValue("threads", "N", "Java threads making them, 1 to " + DemoSettings.MAX_THREADS + " (default "
            + DemoSettings.DEFAULT_THREADS + ")"),
        Option.flag("no-kill", "do not kill a worker"),
        Option.withValue("python", "CMD", "the Python interpreter, 3.9 or newer (default $SNAKEPIT_PYTHON or python3)"));
  }

  @Override
  public int run(Options options, Terminal terminal) {
    DemoSettings settings = settings(options);
    DemoResult result;
    try {
      result = new DemoRun(settings, terminal).run();
    } catch (SnakepitException e) {
      terminal.err().println("demo FAILED: the pool could not start (" + e.kind() + "): " + e.getMessage());
      return FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      terminal.err().println("demo interrupted");
      return FAILED;
    }
    terminal.out().print(DemoReport.render(result));
    return result.passed() ? OK : FAILED;
  }

  /**
   * The settings the options ask for, the interpreter resolved.
   *
   * @throws UsageException if a value is out of range or the interpreter is unusable
   */
  static DemoSettings settings(Options options) {
    int workers = options.integer("workers", DemoSettings.DEFAULT_WORKERS, 1, DemoSettings.MAX_WORKERS);
    int calls = options.integer("calls", DemoSettings.DEFAULT_CALLS, 1, DemoSettings.MAX_CALLS);
    int threads = options.integer("threads", DemoSettings.DEFAULT_THREADS, 1, DemoSettings.MAX_THREADS);
    String python = options.string("python", PythonCommand.defaultCommand());
    return new DemoSettings(workers, calls, threads, !options.has("no-kill"), resolve("demo", python));
  }

  /** Resolves {@code python} for {@code command}, turning an unusable interpreter into a usage error. */
  static PythonCommand resolve(String command, String python) {
    try {
      return PythonCommand.resolve(python);
    } catch (IllegalArgumentException e) {
      throw new UsageException(command, "snakepit " + command + ": --python " + e.getMessage());
    }
  }
}
