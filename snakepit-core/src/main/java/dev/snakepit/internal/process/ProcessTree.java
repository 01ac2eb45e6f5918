package dev.snakepit.internal.process;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Kills a worker together with everything it started.
 *
 * <p>The process the pool starts is the worker's keeper, a child subreaper (python/snakepit/keeper.py):
 * every process the worker starts stays its descendant while it lives, even one that leaves the
 * worker's session or double-forks, because an orphan is re-parented to the keeper. So the tree is
 * killed from the leaves' side first: every live descendant of the keeper, round after round (the
 * children of a killed process join the keeper and are found by the next round), and the keeper last.
 * The worker also leads a process group of its own, and whatever stayed in that group is killed by
 * group id as well, even after the keeper is gone. Java cannot signal a group, so the members are
 * found by scanning {@code /proc} for that group id. A group is only targeted when its id is not the
 * JVM's own.
 */
public final class ProcessTree {
  private static final int MAX_ROUNDS = 20;

  private ProcessTree() {}

  /**
   * Sends signal {@code name} (such as {@code USR2}) to {@code pid} with kill(1), without waiting for
   * it; returns false when kill cannot be run, or for a pid below 2. For signals the JDK cannot send itself.
   */
  public static boolean signal(long pid, String name) {
    if (pid <= 1) {
      return false; // kill(1) would take 0 for this JVM's own process group, -1 for every process
    }
    try {
      new ProcessBuilder("kill", "-" + name, Long.toString(pid))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Waits for {@code process} to exit and returns its exit value. An interrupt does not end the wait
   * (nobody should interrupt it; the exit must be known all the same) and is restored afterwards.
   */
  public static int awaitExit(Process process) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return process.waitFor();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Kills the tree under {@code keeper} (SIGKILL): its live descendants until none is left, then the
   * keeper, then the process groups of the keeper and of {@code workerPid}.
   */
  public static void kill(ProcessHandle keeper, long workerPid) {
    for (int round = 0; round < MAX_ROUNDS && keeper.isAlive(); round++) {
      List<ProcessHandle> living = keeper.descendants().filter(h -> !ProcStat.isZombie(h.pid())).toList();
      if (living.isEmpty()) {
        break;
      }
      living.forEach(ProcessHandle::destroyForcibly);
    }
    keeper.destroyForcibly();
    killGroup(keeper.pid());
    if (workerPid != keeper.pid()) {
      killGroup(workerPid);
    }
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

  /** Live processes whose environment holds {@code entry} ({@code NAME=value}) exactly; zombies are skipped. */
  public static List<Long> withEnvironmentEntry(String entry) {
    return ProcStat.pids().stream().filter(pid -> ProcStat.hasEnvironmentEntry(pid, entry) && !ProcStat.isZombie(pid)).toList();
  }

  /** Live processes in group {@code pgid}; zombies are skipped, they are dead already. */
  public static List<Long> groupMembers(long pgid) {
    List<Long> members = new ArrayList<>();
    for (long pid : ProcStat.pids()) {
      OptionalLong group = ProcStat.processGroup(pid);
      if (group.isPresent() && group.getAsLong() == pgid && !ProcStat.isZombie(pid)) {
        members.add(pid);
      }
    }
    return members;
  }
}
