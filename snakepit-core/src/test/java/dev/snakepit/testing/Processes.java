package dev.snakepit.testing;

import dev.snakepit.internal.process.ProcStat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;

/**
 * What the tests need to know about processes, read from {@code /proc} (Linux) through the pool's own
 * reader, {@link ProcStat}. A zombie counts as gone: it has exited and holds
 * nothing but its process table entry until its parent (the JVM's process reaper, or init for an
 * orphan) collects it.
 */
public final class Processes {
  private Processes() {}

  /** Whether {@code pid} exists and has not exited. */
  public static boolean isRunning(long pid) {
    return ProcStat.isRunning(pid);
  }

  /** The process group of {@code pid}, if it is running. */
  public static OptionalLong processGroup(long pid) {
    return ProcStat.processGroup(pid);
  }

  /** The command line of {@code pid} with its arguments separated by spaces, or a placeholder. */
  public static String commandLine(long pid) {
    String text = ProcStat.commandLine(pid);
    return !text.isEmpty() ? text : ProcStat.isRunning(pid) ? "<no command line>" : "<gone>";
  }

  /** Whether the environment of {@code pid} holds {@code name=value} exactly. */
  public static boolean hasEnvironment(long pid, String name, String value) {
    return ProcStat.hasEnvironmentEntry(pid, name + "=" + value);
  }

  /** Sends {@code signal} (a name such as {@code STOP}) to {@code pid} with kill(1), and waits for kill to finish. */
  public static void signal(long pid, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
      String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed: " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The state letter of {@code pid} ({@code R}, {@code S}, {@code T} for stopped, {@code Z} ...), or '?' if it is gone. */
  public static char state(long pid) {
    return ProcStat.state(pid);
  }

  /** Every pid in {@code /proc}. */
  public static List<Long> all() {
    List<Long> pids = ProcStat.pids();
    if (pids.isEmpty()) {
      throw new IllegalStateException("cannot list /proc"); // it always holds this JVM at least
    }
    return pids;
  }
}
