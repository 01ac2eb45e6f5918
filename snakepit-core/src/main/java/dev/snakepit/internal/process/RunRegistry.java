package dev.snakepit.internal.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk record of this JVM's workers, so that workers a dead JVM left behind can be found and
 * killed by the next JVM that starts a pool (DESIGN.md section 6, layer 5), and the shutdown hook that
 * kills this JVM's workers when it exits without closing its pools (layer 6).
 *
 * <p>Each JVM that starts a pool writes one file, {@code <cache>/registry/<pid>-<start time>.workers}:
 * its own pid and start time, a random instance token, and a line per live worker with the worker's
 * pid and start time. Workers and everything they start carry the token in their environment
 * ({@code SNAKEPIT_INSTANCE}). The sweep, run once per JVM before its first pool starts, reads the other
 * files: a file whose owner is alive (same pid, same start time) belongs to a live instance and is left
 * alone. For a dead owner it kills each recorded worker (its keeper, with the keeper's tree) that still
 * has its recorded start time, and every process anywhere that carries the owner's token, then deletes
 * the file. A reused pid never matches, and the token is random, so nothing unrelated is killed.
 *
 * <p>Linux only (it needs {@code /proc}); elsewhere it records nothing and sweeps nothing.
 */
public final class RunRegistry {
  /** The environment variable carrying the instance token into workers and their children. */
  public static final String INSTANCE_VARIABLE = "SNAKEPIT_INSTANCE";

  private static final Logger LOG = LoggerFactory.getLogger(RunRegistry.class);
  private static final String HEADER = "snakepit-run-registry 1";
  private static final String SUFFIX = ".workers";
  private static RunRegistry instance;

  private final Path directory;
  private final long ownerPid;
  private final long ownerStart;
  private final String token;
  private final Path file;
  /** Live workers: pid to start time. Guarded by this. */
  private final Map<Long, Long> workers = new LinkedHashMap<>();
  /** The pools' run directories (sockets), deleted by the sweep when the owner is dead. Guarded by this. */
  private final List<Path> directories = new ArrayList<>();
  /** Cleanups for the shutdown hook (run directories). Guarded by this. */
  private final List<Runnable> atExit = new ArrayList<>();
  /** Guarded by this. */
  private boolean swept;
  /** Guarded by this. */
  private boolean shutDown;

  RunRegistry(Path directory, long ownerPid, long ownerStart) {
    this.directory = directory;
    this.ownerPid = ownerPid;
    this.ownerStart = ownerStart;
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    this.token = HexFormat.of().formatHex(random);
    this.file = directory.resolve(ownerPid + "-" + ownerStart + SUFFIX);
  }

  /** This JVM's registry; the first call installs the shutdown hook. */
  public static synchronized RunRegistry get() {
    if (instance == null) {
      long pid = ProcessHandle.current().pid();
      instance = new RunRegistry(PythonRuntime.cacheRoot().resolve("registry"), pid, ProcStat.startTime(pid).orElse(0));
      Runtime.getRuntime().addShutdownHook(
          Thread.ofPlatform().name("snakepit-shutdown").unstarted(instance::shutDown));
    }
    return instance;
  }

  /** The token that marks this JVM's workers and their children. */
  public String token() {
    return token;
  }

  /** Sweeps the leftovers of dead JVMs, once per JVM; later calls return at once. */
  public synchronized void sweepOnce() {
    if (swept || !ProcStat.available()) {
      return;
    }
    swept = true;
    int killed = sweep();
    if (killed > 0) {
      LOG.warn("killed {} process(es) left behind by Snakepit pools of JVMs that died", killed);
    }
  }

  /** Records a live worker. */
  public synchronized void add(long pid) {
    if (!ProcStat.available() || shutDown) {
      return;
    }
    workers.put(pid, ProcStat.startTime(pid).orElse(0));
    write();
  }

  /** Records a pool's run directory. */
  public synchronized void addDirectory(Path dir) {
    if (!ProcStat.available() || shutDown) {
      return;
    }
    directories.add(dir.toAbsolutePath());
    write();
  }

  /** Forgets a run directory that is deleted. */
  public synchronized void removeDirectory(Path dir) {
    if (directories.remove(dir.toAbsolutePath())) {
      write();
    }
  }

  /** Forgets a worker that is gone. */
  public synchronized void remove(long pid) {
    if (workers.remove(pid) != null) {
      write();
    }
  }

  /** Registers a cleanup for the shutdown hook, run before the workers are killed. */
  public synchronized void atExit(Runnable cleanup) {
    atExit.add(cleanup);
  }

  /** Unregisters a cleanup that has run already. */
  public synchronized void done(Runnable cleanup) {
    atExit.remove(cleanup);
  }

  /**
   * The shutdown hook: kills every worker this JVM still has, with its tree and everything that carries
   * this JVM's token, and removes this
   * JVM's files. Runs at normal exit, {@code System.exit} and SIGTERM; SIGKILL skips it, which is what
   * the lifeline, the parent-death signal and the next JVM's sweep are for.
   */
  synchronized void shutDown() {
    shutDown = true;
    // The pools first, so that they stop replacing workers and do not report the kills below as crashes.
    for (Runnable cleanup : List.copyOf(atExit)) {
      try {
        cleanup.run();
      } catch (RuntimeException e) {
        // Best effort at exit.
      }
    }
    Set<Long> killed = new HashSet<>();
    for (Map.Entry<Long, Long> worker : workers.entrySet()) {
      killWorker(worker.getKey(), worker.getValue(), killed);
    }
    killMarked(token, killed);
    workers.clear();
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Best effort at exit.
    }
  }

  /** Reads every other registry file and cleans up after dead owners; returns how many processes it killed. */
  int sweep() {
    int killed = 0;
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
      for (Path other : files) {
        if (!other.equals(file)) {
          killed += sweepFile(other);
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read the run registry {}", directory, e);
    }
    return killed;
  }

  private int sweepFile(Path other) {
    List<String> lines;
    try {
      lines = Files.readAllLines(other, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return 0;
    }
    if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) {
      return 0; // not ours, or half written: leave it
    }
    long[] owner = null;
    String otherToken = null;
    List<long[]> recorded = new ArrayList<>();
    List<Path> dirs = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] parts = line.split(" ");
      try {
        switch (parts[0]) {
          case "dir" -> dirs.add(Path.of(line.substring("dir ".length())));
          case "owner" -> owner = new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])};
          case "instance" -> otherToken = parts[1];
          case "worker" -> recorded.add(new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])});
          default -> { /* a line a later version added */ }
        }
      } catch (RuntimeException e) {
        return 0; // unreadable: leave it
      }
    }
    if (owner == null || otherToken == null || isAlive(owner[0], owner[1])) {
      return 0;
    }
    Set<Long> killed = new HashSet<>();
    for (long[] worker : recorded) {
      killWorker(worker[0], worker[1], killed);
    }
    killMarked(otherToken, killed);
    for (Path dir : dirs) {
      // Only what a pool of that JVM made: a damaged file must not point the sweep elsewhere.
      if (dir.getFileName() != null && dir.getFileName().toString().startsWith(RunDirectory.PREFIX + owner[0] + "-")
          && Files.isDirectory(dir)) {
        RunDirectory.delete(dir);
      }
    }
    try {
      Files.deleteIfExists(other);
    } catch (IOException e) {
      // Another JVM swept it at the same moment.
    }
    return killed.size();
  }

  /**
   * Kills the keeper {@code pid} with its whole tree if it still has start time {@code start}; adds
   * what it signalled to {@code killed}.
   */
  private static void killWorker(long pid, long start, Set<Long> killed) {
    if (isAlive(pid, start)) {
      ProcessHandle.of(pid).ifPresent(keeper -> {
        killed.add(pid);
        keeper.descendants().forEach(d -> killed.add(d.pid()));
        ProcessTree.kill(keeper, pid);
      });
    }
  }

  /**
   * Kills every process whose environment holds {@code INSTANCE_VARIABLE=token}: whatever the workers
   * started, wherever it went (another session, a daemon's double fork), even after their keepers are
   * gone. Adds what it signalled to {@code killed}.
   */
  private static void killMarked(String token, Set<Long> killed) {
    for (long pid : ProcessTree.withEnvironmentEntry(INSTANCE_VARIABLE + "=" + token)) {
      if (!killed.contains(pid) && ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false)) {
        killed.add(pid);
      }
    }
  }

  private static boolean isAlive(long pid, long start) {
    OptionalLong actual = ProcStat.startTime(pid);
    return actual.isPresent() && actual.getAsLong() == start && !ProcStat.isZombie(pid);
  }

  /** Rewrites this JVM's file in one atomic step. Caller holds the lock. */
  private void write() {
    StringBuilder text = new StringBuilder(HEADER).append('\n')
        .append("owner ").append(ownerPid).append(' ').append(ownerStart).append('\n')
        .append("instance ").append(token).append('\n');
    workers.forEach((pid, start) -> text.append("worker ").append(pid).append(' ').append(start).append('\n'));
    directories.forEach(dir -> text.append("dir ").append(dir).append('\n'));
    try {
      Files.createDirectories(directory);
      Path temporary = Files.createTempFile(directory, ".", ".tmp");
      Files.writeString(temporary, text, StandardCharsets.UTF_8);
      Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      LOG.debug("cannot write the run registry {}", file, e);
    }
  }
}
