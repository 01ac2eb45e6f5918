package dev.snakepit.cli;

import dev.snakepit.Call;
import dev.snakepit.CallResult;
import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code snakepit crash-target}, run by {@link CrashTestCommand} in a JVM of its own: starts a pool
 * whose every worker has started three grandchild processes ({@link #DETACHED}), reports the pids of
 * the workers, their keepers and the grandchildren, and then waits to be killed,
 * or, when told "exit" on stdin, leaves through {@code System.exit} without closing the pool.
 */
@Command(name = CrashTargetCommand.NAME, hidden = true,
    description = "(used by crash-test) start a pool with grandchildren, report the pids, wait to be killed")
final class CrashTargetCommand implements Callable<Integer> {
  static final String NAME = "crash-target";
  /**
   * How each worker's grandchildren leave it: one stays in its process group, one starts a session of
   * its own, one is a daemon that double-forked (its parent exits, so it is re-parented).
   */
  static final List<String> DETACHED = List.of("no", "session", "daemon");
  /** How long the grandchildren would live if nobody killed them, in seconds. */
  private static final double GRANDCHILD_SECONDS = 600;
  private static final int MAX_ROUNDS = 50;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "5", description = "workers in the pool")
  @Range(min = 1, max = 64)
  int workers;

  @Option(names = "--preload", description = "fork the workers from a template")
  boolean preload;

  @Mixin
  PythonOption python;

  private final Terminal terminal;

  CrashTargetCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    // Never closed, on purpose: what happens to its processes is what the crash test checks.
    Snakepit pool = Snakepit.start(PoolConfig.builder(DemoSettings.ADAPTER).name("crash-target").size(workers)
        .pythonExecutable(python.command()).preload(preload).build());
    List<Long> workerPids = pool.workerPids();
    List<Long> grandchildren = new ArrayList<>();
    for (String detach : DETACHED) {
      grandchildren.addAll(spawnOnEveryWorker(pool, workerPids, detach));
    }
    // Each worker's parent is its keeper, which owns the worker's tree: the process the pool started,
    // or with preloading one its template forked.
    Set<Long> templates = new TreeSet<>();
    for (long worker : workerPids) {
      terminal.out().println("worker " + worker);
      Optional<ProcessHandle> keeper = ProcessHandle.of(worker).flatMap(ProcessHandle::parent);
      keeper.ifPresent(k -> terminal.out().println("keeper " + k.pid()));
      keeper.flatMap(ProcessHandle::parent).filter(t -> t.pid() != ProcessHandle.current().pid()).ifPresent(t -> templates.add(t.pid()));
    }
    templates.forEach(pid -> terminal.out().println("template " + pid));
    grandchildren.forEach(pid -> terminal.out().println("grandchild " + pid));
    terminal.out().println("ready");
    terminal.out().flush();
    try {
      String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      terminal.out().println("leaving after '" + line + "' without closing the pool");
    } catch (IOException e) {
      terminal.out().println("leaving: stdin failed: " + e.getMessage());
    }
    terminal.out().flush();
    return Main.OK; // Main ends the JVM with System.exit
  }

  /**
   * Has every worker start one grandchild detached as {@code detach} says (see the demo's
   * {@code spawn_child}); returns their pids. As many calls at once as there are workers: each free
   * worker takes one, so one round normally reaches every worker; another round follows if one was not free.
   */
  private static List<Long> spawnOnEveryWorker(Snakepit pool, List<Long> workerPids, String detach) {
    Set<Long> reached = new LinkedHashSet<>();
    List<Long> grandchildren = new ArrayList<>();
    for (int round = 0; round < MAX_ROUNDS && reached.size() < workerPids.size(); round++) {
      List<CompletableFuture<CallResult>> calls = new ArrayList<>();
      for (int i = 0; i < workerPids.size(); i++) {
        calls.add(pool.executeDetailedAsync(Call.of("spawn_child").withArg("seconds", GRANDCHILD_SECONDS)
            .withArg("detach", detach)));
      }
      for (CompletableFuture<CallResult> call : calls) {
        CallResult result = call.join();
        grandchildren.add(((Number) result.value()).longValue());
        reached.add(result.workerPid());
      }
    }
    return grandchildren;
  }
}
