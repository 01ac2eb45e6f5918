package dev.snakepit.internal.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Kills a worker together with everything it started.
 *
 * <p>Each worker makes itself the leader of a new session and process group at start, so its
 * children and grandchildren share its group id, even after they are re-parented to init when the
 * worker dies. Java cannot signal a group, so the members are found by scanning {@code /proc} for that
 * group id and killed one by one; the scan repeats until it finds nobody, which also catches a process
 * forked during the previous round. A group is only targeted when its id is the worker's pid, which is
 * true once the worker has called {@code setsid()}, and never when it is the JVM's own group.
 * Without {@code /proc} (macOS), the worker's live descendants are killed instead.
 */
public final class ProcessTree {
  private static final int MAX_ROUNDS = 20;

  private ProcessTree() {}

  /**
   * Sends signal {@code name} (such as {@code USR2}) to {@code pid} with kill(1), without waiting for
   * it; returns false when kill cannot be run. For signals the JDK cannot send itself.
   */
  public static boolean signal(long pid, String name) {
    try {
      new ProcessBuilder("kill", "-" + name, Long.toString(pid))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Kills {@code worker} (SIGKILL), its process group and its descendants. */
  public static void kill(ProcessHandle worker) {
    List<ProcessHandle> descendants = worker.descendants().toList();
    worker.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
    killGroup(worker.pid());
  }

  /**
   * Kills every process whose group id is {@code pgid}, which must be a worker's pid. Safe to call
   * after the worker itself is gone: its group lives on in whatever it started.
   *
   * @return how many processes were signalled
   */
  public static int killGroup(long pgid) {
    if (!ProcStat.available() || pgid <= 1) {
      return 0;
    }
    OptionalLong own = ProcStat.processGroup(ProcessHandle.current().pid());
    if (own.isPresent() && own.getAsLong() == pgid) {
      return 0;
    }
    int killed = 0;
    for (int round = 0; round < MAX_ROUNDS; round++) {
      List<Long> members = groupMembers(pgid);
      if (members.isEmpty()) {
        break;
      }
      for (long pid : members) {
        if (ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false)) {
          killed++;
        }
      }
    }
    return killed;
  }

  /** Live processes in group {@code pgid}; zombies are skipped, they are dead already. */
  public static List<Long> groupMembers(long pgid) {
    List<Long> members = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"))) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(name);
        } catch (NumberFormatException e) {
          continue;
        }
        OptionalLong group = ProcStat.processGroup(pid);
        if (group.isPresent() && group.getAsLong() == pgid && !ProcStat.isZombie(pid)) {
          members.add(pid);
        }
      }
    } catch (IOException e) {
      return List.of();
    }
    return members;
  }
}
