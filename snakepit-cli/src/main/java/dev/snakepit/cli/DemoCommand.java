package dev.snakepit.cli;

import dev.snakepit.SnakepitException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code snakepit demo}: the project's main job in one command. A pool of Python workers serves a few
 * thousand mixed calls from several threads; one worker is killed with SIGKILL part-way; the pool must
 * replace it, keep serving, and leave no process behind when closed. Exit status 0 only if it did.
 */
@Command(name = "demo",
    description = "run thousands of calls through a pool of Python workers, kill one mid-run, check the pool recovers")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--workers", paramLabel = "N", defaultValue = "4", description = "worker processes in the pool")
  @Range(min = 1, max = 64)
  int workers;

  @Option(names = "--calls", paramLabel = "N", defaultValue = "4000", description = "calls to make")
  @Range(min = 1, max = 10_000_000)
  int calls;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "8", description = "Java threads making them")
  @Range(min = 1, max = 1_024)
  int threads;

  @Option(names = "--no-kill", arity = "0", description = "do not kill a worker")
  boolean noKill;

  @Mixin
  PythonOption python;

  private final Terminal terminal;

  DemoCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    DemoSettings settings = new DemoSettings(workers, calls, threads, !noKill, python.resolve());
    DemoResult result;
    try {
      result = new DemoRun(settings, terminal).run();
    } catch (SnakepitException e) {
      terminal.err().println("demo FAILED: the pool could not start (" + e.kind() + "): " + e.getMessage());
      return Main.FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      terminal.err().println("demo interrupted");
      return Main.FAILED;
    }
    terminal.out().print(DemoReport.render(result));
    return result.passed() ? Main.OK : Main.FAILED;
  }
}
