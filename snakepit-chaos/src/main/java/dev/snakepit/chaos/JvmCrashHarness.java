package dev.snakepit.chaos;

import dev.snakepit.chaos.internal.CrashTarget;
import dev.snakepit.internal.process.ProcessTree;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Kills a whole JVM that runs a pool, with SIGKILL, from outside, and reports whether any of its Python
 * processes (workers and whatever they started) outlived it. The JVM is a fresh one on this JVM's class
 * path, running a pool of the adapter given; no shutdown hook can run in it.
 *
 * <pre>{@code
 * JvmCrashHarness.Report report = JvmCrashHarness.forAdapter("myapp.adapters:Scorer")
 *     .pythonPath(Path.of("src/main/python"))
 *     .size(4)
 *     .killAndWatch(Duration.ofSeconds(2));
 * assertThat(report.survivors()).isEmpty();
 * }</pre>
 */
public final class JvmCrashHarness {
  private static final Duration START_LIMIT = Duration.ofSeconds(60);

  private final String adapter;
  private final List<Path> pythonPath = new ArrayList<>();
  private final Map<String, String> environment = new LinkedHashMap<>();
  private int size = 4;
  private String python = System.getProperty("snakepit.test.python", "python3");
  private String warmUpTool;
  private boolean preload;

  private JvmCrashHarness(String adapter) {
    this.adapter = Objects.requireNonNull(adapter, "adapter");
  }

  /** A harness whose JVM runs a pool of {@code adapter} ({@code module:Class}). */
  public static JvmCrashHarness forAdapter(String adapter) {
    return new JvmCrashHarness(adapter);
  }

  /** Adds a directory to the workers' Python path. */
  public JvmCrashHarness pythonPath(Path directory) {
    pythonPath.add(Objects.requireNonNull(directory, "directory"));
    return this;
  }

  /** Sets an environment variable of the workers. */
  public JvmCrashHarness environment(String name, String value) {
    environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /** Workers in the pool, 1 to 64 (default 4). */
  public JvmCrashHarness size(int value) {
    if (value < 1 || value > 64) {
      throw new IllegalArgumentException("size: " + value + " is invalid; it must be 1 to 64");
    }
    size = value;
    return this;
  }

  /** The Python interpreter (default: system property {@code snakepit.test.python}, else {@code python3}). */
  public JvmCrashHarness python(String executable) {
    python = Objects.requireNonNull(executable, "executable");
    return this;
  }

  /**
   * Whether the pool forks its workers from a template that ran the adapter's {@code preload()}
   * ({@code PoolConfig.preload}; default false). The template is watched with the workers.
   */
  public JvmCrashHarness preload(boolean value) {
    preload = value;
    return this;
  }

  /**
   * A tool without arguments called once per worker before the kill, such as one that starts child
   * processes (the chaos adapter's {@code spawn_grandchildren}), so that those are watched too.
   */
  public JvmCrashHarness warmUp(String tool) {
    warmUpTool = Objects.requireNonNull(tool, "tool");
    return this;
  }

  /**
   * What one kill left behind.
   *
   * @param jvmPid the killed JVM
   * @param watched every process of the pool before the kill: workers, their keepers, their children
   * @param survivors those still alive when {@code limit} passed (empty when all went)
   * @param gone how long after the kill the last watched process was gone ({@code limit} when some survived)
   */
  public record Report(long jvmPid, List<Long> watched, List<Long> survivors, Duration gone) {}

  /**
   * Starts the JVM, waits until its pool is ready, SIGKILLs it, and watches its Python processes for up
   * to {@code limit}. Whatever survives is killed before this returns, so a failing test leaves nothing.
   *
   * @throws IOException if the JVM cannot be started or does not report its pool within 60 s
   */
  public Report killAndWatch(Duration limit) throws IOException, InterruptedException {
    Path log = Files.createTempFile("snakepit-crash-target-", ".log");
    Process jvm = new ProcessBuilder(command()).redirectError(log.toFile()).start();
    Set<Long> watched = new LinkedHashSet<>();
    try {
      List<Long> workers = readWorkers(jvm, log);
      for (long worker : workers) {
        watched.add(worker);
        watched.addAll(ProcessTree.groupMembers(worker)); // its children that stayed in its group
        // Its keeper, and all the keeper holds: children that left the worker's group, adopted orphans.
        Optional<ProcessHandle> keeper = ProcessHandle.of(worker).flatMap(ProcessHandle::parent);
        keeper.ifPresent(k -> {
          watched.add(k.pid());
          k.descendants().forEach(d -> watched.add(d.pid()));
        });
        // The template the keeper was forked from, when the pool preloads: the keeper's parent, not the JVM.
        keeper.flatMap(ProcessHandle::parent).filter(p -> p.pid() != jvm.pid()).ifPresent(t -> watched.add(t.pid()));
      }
      long killed = System.nanoTime();
      jvm.destroyForcibly();
      List<Long> alive = new ArrayList<>(watched);
      long giveUp = killed + limit.toNanos();
      while (!alive.isEmpty() && System.nanoTime() - giveUp < 0) {
        alive.removeIf(pid -> !Faults.running(pid));
        if (!alive.isEmpty()) {
          // Polls /proc: these processes are not this JVM's children, so their end sends no event here.
          Thread.sleep(1);
        }
      }
      Duration gone = Duration.ofNanos(System.nanoTime() - killed);
      List<Long> survivors = List.copyOf(alive);
      return new Report(jvm.pid(), List.copyOf(watched), survivors, survivors.isEmpty() ? gone : limit);
    } finally {
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

  private List<Long> readWorkers(Process jvm, Path log) throws IOException, InterruptedException {
    BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<List<Long>> report = CompletableFuture.supplyAsync(() -> {
      List<Long> workers = new ArrayList<>();
      try {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.equals("ready")) {
            return workers;
          }
          if (line.startsWith("worker ")) {
            workers.add(Long.parseLong(line.substring("worker ".length()).trim()));
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
      throw new IllegalStateException("its output ended before 'ready'");
    }, Thread::startVirtualThread);
    try {
      return report.get(START_LIMIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      String why = e instanceof ExecutionException ? e.getCause().getMessage() : "no report within " + START_LIMIT.toSeconds() + " s";
      throw new IOException("the JVM to be killed did not start its pool of " + adapter + ": " + why + "; its stderr:\n"
          + tail(log), e);
    }
  }

  private List<String> command() {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String modulePath = System.getProperty("jdk.module.path");
    if (modulePath != null && !modulePath.isBlank()) {
      command.addAll(List.of("-p", modulePath, "-m", "dev.snakepit.chaos/" + CrashTarget.class.getName()));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashTarget.class.getName()));
    }
    command.addAll(List.of(adapter, Integer.toString(size), python));
    pythonPath.forEach(p -> command.addAll(List.of("--path", p.toAbsolutePath().toString())));
    environment.forEach((k, v) -> command.addAll(List.of("--env", k + "=" + v)));
    if (warmUpTool != null) {
      command.addAll(List.of("--call", warmUpTool));
    }
    if (preload) {
      command.addAll(List.of("--preload", "true"));
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
}
