package dev.snakepit.internal.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * The one reader of {@code /proc} (Linux) for process state: the pids, fields of
 * {@code /proc/<pid>/stat}, resident memory from {@code /proc/<pid>/status}, and a process's command
 * line and environment. The command name, field 2 of stat, is in parentheses and may itself contain
 * spaces and parentheses, so fields are counted from the last ')'.
 */
public final class ProcStat {
  private static final Path PROC = Path.of("/proc");

  private ProcStat() {}

  /** The command line of {@code pid} with its arguments separated by spaces; empty if it has none or is gone. */
  public static String commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
      return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /**
   * Whether the environment of {@code pid} holds {@code entry} ({@code NAME=value}) exactly; false
   * when it is gone or not ours to read.
   */
  public static boolean hasEnvironmentEntry(long pid, String entry) {
    byte[] raw;
    try {
      raw = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
    byte[] wanted = entry.getBytes(StandardCharsets.UTF_8);
    // Entries are separated by NUL bytes; compare each one whole.
    for (int start = 0; start < raw.length; ) {
      int end = start;
      while (end < raw.length && raw[end] != 0) {
        end++;
      }
      if (end - start == wanted.length && Arrays.equals(raw, start, end, wanted, 0, wanted.length)) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /** Whether {@code /proc} is there to read (Linux). */
  public static boolean available() {
    return Files.isReadable(PROC.resolve("self/stat"));
  }

  /** Every pid in {@code /proc}; empty without it. */
  public static List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
          try {
            pids.add(Long.parseLong(name));
          } catch (NumberFormatException e) {
            // Not a process.
          }
        }
      }
    } catch (IOException e) {
      return List.of();
    }
    return pids;
  }

  /** The process group of {@code pid}, or empty when the process is gone or /proc is unavailable. */
  public static OptionalLong processGroup(long pid) {
    return field(pid, 5);
  }

  /** The parent of {@code pid}, or empty when the process is gone. */
  public static OptionalLong parent(long pid) {
    return field(pid, 4);
  }

  /**
   * When {@code pid} started, in clock ticks since boot (field 22): with the pid, it names a process
   * for good, since a reused pid has another start time. Empty when the process is gone.
   */
  public static OptionalLong startTime(long pid) {
    return field(pid, 22);
  }

  /**
   * The CPU time {@code pid} has used so far, user and system (fields 14 and 15), in clock ticks
   * (normally 100 a second). Empty when the process is gone.
   */
  public static OptionalLong cpuTicks(long pid) {
    String[] rest = fieldsAfterName(pid);
    OptionalLong user = field(rest, 14);
    OptionalLong system = field(rest, 15);
    return user.isPresent() && system.isPresent() ? OptionalLong.of(user.getAsLong() + system.getAsLong()) : OptionalLong.empty();
  }

  /**
   * The resident memory of {@code pid} and every process descended from it, in bytes, from
   * {@code VmRSS} in {@code /proc/<pid>/status}; 0 when it is gone or /proc is unavailable.
   */
  public static long treeResidentBytes(long pid) {
    long total = residentBytes(pid);
    for (ProcessHandle descendant : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of())) {
      total += residentBytes(descendant.pid());
    }
    return total;
  }

  static long residentBytes(long pid) {
    try {
      for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024; // the kernel reports kB
        }
      }
    } catch (IOException | RuntimeException e) {
      // Gone, or a kernel thread without memory.
    }
    return 0;
  }

  /**
   * Whether {@code pid} exists and has not exited. A zombie, dead but not reaped yet, does not run: it
   * holds nothing but its entry in the process table.
   */
  public static boolean isRunning(long pid) {
    char state = state(pid);
    return state != '?' && state != 'Z' && state != 'X';
  }

  /** Whether {@code pid} has exited but not been reaped by its parent yet. */
  public static boolean isZombie(long pid) {
    return state(pid) == 'Z';
  }

  /**
   * Whether {@code pid} is stopped (SIGSTOP, a terminal stop, or a debugger's trace stop): it runs no
   * code, so it cannot write a stack dump either.
   */
  public static boolean isStopped(long pid) {
    char state = state(pid);
    return state == 'T' || state == 't';
  }

  /**
   * The state letter of {@code pid}, field 3: {@code R} running, {@code S} sleeping, {@code T} stopped,
   * {@code Z} zombie and so on; {@code '?'} when the process is gone.
   */
  public static char state(long pid) {
    String[] rest = fieldsAfterName(pid);
    return rest != null && rest.length > 0 && !rest[0].isEmpty() ? rest[0].charAt(0) : '?';
  }

  private static OptionalLong field(long pid, int number) {
    return field(fieldsAfterName(pid), number);
  }

  /** Field {@code number} (counted from 1, as proc(5) does) of the fields after the name, if it is a number. */
  static OptionalLong field(String[] rest, int number) {
    // rest holds field 3 (state), 4 (ppid), 5 (pgrp), ...
    int index = number - 3;
    if (rest == null || index < 0 || index >= rest.length) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(rest[index]));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  private static String[] fieldsAfterName(long pid) {
    String stat;
    try {
      stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return fieldsAfterName(stat);
  }

  /** Fields 3, 4, 5 ... of one {@code stat} line, or null if it has no name in parentheses. */
  static String[] fieldsAfterName(String stat) {
    int end = stat.lastIndexOf(')');
    return end < 0 || end + 2 > stat.length() ? null : stat.substring(end + 2).split(" ");
  }
}
