package dev.snakepit.cli;

import dev.snakepit.internal.process.ProcStat;
import dev.snakepit.internal.process.ProcessTree;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit crash-test}: proves that no Python process outlives the JVM that started it. Each run
 * starts a JVM ({@link CrashTargetCommand}) with a pool whose every worker has started three
 * grandchildren, one of which leaves the worker's session and one of which double-forks, records every
 * process of the workers' trees (keepers, workers, grandchildren), ends that JVM one way (SIGKILL, SIGTERM, or
 * {@code System.exit} without closing the pool) and times how long the recorded processes take to be
 * gone. A run is clean when all are gone within the limit. Linux only: it reads {@code /proc}.
 */
@Command(name = "crash-test",
    description = "end JVMs running pools by SIGKILL, SIGTERM and System.exit; check no Python process survives")
final class CrashTestCommand implements Callable<Integer> {
  /** How long a target JVM may take to start its pool and report. */
  private static final long START_LIMIT_SECONDS = 120;
  /** How long to keep watching after the limit, to tell slow cleanup from none. */
  private static final long GIVE_UP_MILLIS = 10_000;

  /** The ways a JVM ends. */
  enum Mode {
    KILL("kill", "SIGKILL of the JVM"),
    TERM("term", "SIGTERM of the JVM"),
    EXIT("exit", "System.exit, pool not closed");

    final String word;
    final String description;

    Mode(String word, String description) {
      this.word = word;
      this.description = description;
    }
  }

  /** One run's outcome: how many processes were watched, how long they took, which were left. */
  record Run(Mode mode, int processes, long nanos, List<Long> leftovers) {
    boolean clean(long limitNanos) {
      return leftovers.isEmpty() && nanos <= limitNanos;
    }
  }

  @Option(names = "--runs", paramLabel = "N", defaultValue = "20", description = "runs per mode")
  @Range(min = 1, max = 1000)
  int runs;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "5", description = "workers per pool, each with three grandchildren")
  @Range(min = 1, max = 64)
  int workers;

  @Option(names = "--mode", paramLabel = "MODE", defaultValue = "all", converter = NonBlank.class,
      description = "kill, term, exit or all (default ${DEFAULT-VALUE})")
  String modeName;

  @Option(names = "--limit", paramLabel = "MS", defaultValue = "2000", description = "how soon every process must be gone, in ms")
  @Range(min = 1, max = 60_000)
  int limitMillis;

  @Option(names = "--preload", description = "fork the workers from a template (PoolConfig.preload), which is watched too")
  boolean preload;

  @Mixin
  PythonOption python;

  @Spec
  CommandSpec spec;

  private final Terminal terminal;

  CrashTestCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    List<Mode> modes = modes(modeName);
    PythonCommand python = this.python.resolve();
    if (!ProcStat.available()) {
      terminal.err().println("crash-test FAILED: it needs /proc (Linux)");
      return Main.FAILED;
    }
    long limit = TimeUnit.MILLISECONDS.toNanos(limitMillis);
    terminal.out().printf("snakepit crash-test: %d run(s) per mode, a pool of %d workers%s each with three grandchildren"
        + " (one in its group, one in a session of its own, one double-forked daemon);"
        + " every process must be gone within %d ms%n", runs, workers, preload ? " forked from a template," : "", limitMillis);
    List<Run> all = new ArrayList<>();
    try {
      for (Mode mode : modes) {
        for (int i = 1; i <= runs; i++) {
          Run run = runOnce(mode, workers, python, limit);
          all.add(run);
          terminal.out().printf(Locale.ROOT, "  %-4s run %2d: %2d processes gone in %s%s%n", mode.word, i, run.processes(),
              millis(run.nanos()), run.clean(limit) ? "" : "  LEFT BEHIND: pids " + run.leftovers());
          terminal.out().flush();
        }
      }
    } catch (IOException | TimeoutException e) {
      terminal.err().println("crash-test FAILED: " + e.getMessage());
      return Main.FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      terminal.err().println("crash-test interrupted");
      return Main.FAILED;
    }
    terminal.out().print(render(all, modes, limit));
    boolean clean = all.stream().allMatch(r -> r.clean(limit));
    terminal.out().println(clean ? "crash-test passed: no process outlived its JVM"
        : "crash-test FAILED: processes outlived their JVM or took longer than " + limitMillis + " ms to go");
    return clean ? Main.OK : Main.FAILED;
  }

  static String render(List<Run> runs, List<Mode> modes, long limit) {
    TextTable table = new TextTable(List.of("how the JVM ended", "clean runs", "median", "slowest"), 1, 2, 3);
    for (Mode mode : modes) {
      List<Run> of = runs.stream().filter(r -> r.mode() == mode).toList();
      if (of.isEmpty()) {
        continue;
      }
      Latencies times = Latencies.of(of.stream().mapToLong(Run::nanos).toArray());
      long clean = of.stream().filter(r -> r.clean(limit)).count();
      table.row(mode.description, clean + "/" + of.size(), millis(times.median()), millis(times.max()));
    }
    return "\n" + table.render(2) + "\n";
  }

  private List<Mode> modes(String text) {
    for (Mode mode : Mode.values()) {
      if (mode.word.equals(text)) {
        return List.of(mode);
      }
    }
    if (text.equals("all")) {
      return List.of(Mode.values());
    }
    throw new ParameterException(spec.commandLine(), "--mode '" + text + "' is not one of kill, term, exit, all");
  }

  private Run runOnce(Mode mode, int workers, PythonCommand python, long limit)
      throws IOException, InterruptedException, TimeoutException {
    Path log = Files.createTempFile("snakepit-crash-target-", ".log");
    Process jvm = new ProcessBuilder(targetCommand(workers, python))
        .redirectError(log.toFile()).start();
    Set<Long> watched = new LinkedHashSet<>();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
      List<Long> workerPids = new ArrayList<>();
      CompletableFuture<Void> reported = CompletableFuture.runAsync(() -> readReport(out, workerPids, watched),
          Thread::startVirtualThread);
      try {
        reported.get(START_LIMIT_SECONDS, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IOException("the target JVM did not report its pool: " + e.getCause().getMessage()
            + "; its stderr:\n" + tail(log), e);
      } catch (TimeoutException e) {
        throw new TimeoutException("the target JVM did not report its pool within " + START_LIMIT_SECONDS
            + " s; its stderr:\n" + tail(log));
      }
      for (long worker : workerPids) {
        watched.addAll(ProcessTree.groupMembers(worker)); // the worker and the grandchildren still in its group
      }
      for (long pid : List.copyOf(watched)) {
        // Whatever else the keepers hold: the grandchildren that left the worker's group, and their children.
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> watched.add(d.pid())));
      }
      long ended = System.nanoTime();
      switch (mode) {
        case KILL -> jvm.destroyForcibly();
        case TERM -> jvm.destroy();
        case EXIT -> {
          OutputStream in = jvm.getOutputStream();
          in.write("exit\n".getBytes(StandardCharsets.UTF_8));
          in.flush();
        }
      }
      List<Long> alive = new ArrayList<>(watched);
      long giveUp = ended + limit + TimeUnit.MILLISECONDS.toNanos(GIVE_UP_MILLIS);
      while (!alive.isEmpty() && System.nanoTime() < giveUp) {
        alive.removeIf(pid -> !ProcStat.isRunning(pid));
        if (!alive.isEmpty()) {
          Thread.sleep(1); // polls /proc: a process that is not ours to wait for gives no event
        }
      }
      long took = System.nanoTime() - ended;
      return new Run(mode, watched.size(), took, List.copyOf(alive));
    } finally {
      // Never leave anything behind, whatever the outcome: the JVM, and what it failed to clean up.
      jvm.destroyForcibly();
      jvm.waitFor(30, TimeUnit.SECONDS);
      for (long pid : watched) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      jvm.getOutputStream().close();
      jvm.getInputStream().close();
      Files.deleteIfExists(log);
    }
  }

  /** Reads "worker PID", "keeper PID", "template PID" and "grandchild PID" lines up to "ready". */
  private static void readReport(BufferedReader out, List<Long> workers, Set<Long> watched) {
    try {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.equals("ready")) {
          return;
        }
        String[] parts = line.split(" ");
        if (parts.length == 2 && parts[0].equals("worker")) {
          workers.add(Long.parseLong(parts[1]));
          watched.add(Long.parseLong(parts[1]));
        } else if (parts.length == 2 && List.of("grandchild", "keeper", "template").contains(parts[0])) {
          watched.add(Long.parseLong(parts[1]));
        }
      }
      throw new IllegalStateException("its output ended before 'ready'");
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** This same program, in a fresh JVM, running {@link CrashTargetCommand}. */
  private List<String> targetCommand(int workers, PythonCommand python) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String modulePath = System.getProperty("jdk.module.path");
    if (modulePath != null && !modulePath.isBlank()) {
      command.addAll(List.of("-p", modulePath, "-m", "dev.snakepit.cli/" + Main.class.getName()));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    }
    command.addAll(List.of(CrashTargetCommand.NAME, "--workers", Integer.toString(workers), "--python", python.executable()));
    if (preload) {
      command.add("--preload");
    }
    return command;
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static String millis(long nanos) {
    return String.format(Locale.ROOT, "%d ms", TimeUnit.NANOSECONDS.toMillis(nanos));
  }
}
