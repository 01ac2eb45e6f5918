package dev.snakepit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the crash test reads of {@code /proc} (Linux): process groups and whether a process still runs. */
final class ProcFs {
  private static final Path PROC = Path.of("/proc");

  private ProcFs() {}

  static boolean available() {
    return Files.isReadable(PROC.resolve("self/stat"));
  }

  /** Whether {@code pid} runs; a zombie, dead but not yet reaped, does not. */
  static boolean running(long pid) {
    String[] fields = fields(pid);
    return fields != null && !fields[0].equals("Z");
  }

  /** The running processes whose process group is {@code pgid}. */
  static List<Long> group(long pgid) {
    List<Long> members = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        String[] fields = fields(pid);
        if (fields != null && !fields[0].equals("Z") && Long.parseLong(fields[2]) == pgid) {
          members.add(pid);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return members;
  }

  /** Fields 3 (state), 4 (ppid), 5 (pgrp) ... of {@code /proc/<pid>/stat}, or null when it is gone. */
  private static String[] fields(long pid) {
    String stat;
    try {
      stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    }
    int end = stat.lastIndexOf(')');
    return stat.substring(end + 2).split(" ");
  }
}
