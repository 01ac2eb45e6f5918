package dev.snakepit.cli;

import dev.snakepit.internal.process.WorkerLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether {@code workerMemoryLimit} and {@code workerCpuLimit} can be enforced here. The layout of
 * {@code /sys/fs/cgroup} and this process's group say what the machine has; the verdict comes from the
 * pool's own {@link WorkerLimits}, asked for both caps exactly as a pool would be, so the doctor and
 * the pool can never disagree: a cgroup v2 subtree with memory and cpu delegated, else cgroup v1
 * groups, else (memory only) an address-space limit the worker sets on itself. The groups it makes
 * for the question are empty and removed at once.
 */
final class CgroupCheck {
  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  /** What the check asks WorkerLimits for; any caps do, both are needed to learn about both. */
  private static final long PROBE_MEMORY = 64L * 1024 * 1024;
  private static final double PROBE_CPUS = 1.0;

  static final String FIX = "run the JVM in a cgroup with the memory and cpu controllers delegated:"
      + " systemd-run --user --scope -p Delegate=yes <command>, or as a systemd service with Delegate=yes";

  private CgroupCheck() {}

  static DoctorCheck run() {
    String procSelfCgroup = read(Path.of("/proc/self/cgroup"));
    String layout = layout(ROOT, procSelfCgroup == null ? "" : procSelfCgroup);
    WorkerLimits limits;
    try {
      limits = WorkerLimits.create("doctor", PROBE_MEMORY, PROBE_CPUS);
    } catch (IllegalStateException | UnsupportedOperationException e) {
      return verdict(layout, null, e.getMessage());
    }
    try {
      return verdict(layout, limits.mechanism(), limits.describe());
    } finally {
      limits.close();
    }
  }

  /**
   * The verdict: ok when {@code mechanism} enforces both caps; a warning when none could
   * ({@code mechanism} null, {@code described} saying why), naming what the pool then does.
   */
  static DoctorCheck verdict(String layout, WorkerLimits.Mechanism mechanism, String described) {
    if (mechanism == null) {
      return DoctorCheck.warn("cgroups", layout + "; no cgroup can be made for workers (" + described + "): a pool with"
          + " workerCpuLimit does not start, and workerMemoryLimit falls back to an address-space limit (RLIMIT_AS) each"
          + " worker sets on itself, so allocations beyond it raise MemoryError and the worker's children are not counted",
          FIX);
    }
    return DoctorCheck.ok("cgroups", layout + "; workerMemoryLimit and workerCpuLimit use " + described);
  }

  /**
   * What {@code root} holds and where this process is: {@code cgroup2 at /sys/fs/cgroup, this process in
   * /user.slice/x (controllers: cpu memory pids; delegated to its children: none)}, or the v1 layout.
   */
  static String layout(Path root, String procSelfCgroup) {
    String own = v2Group(procSelfCgroup);
    for (Path v2 : new Path[] {root, root.resolve("unified")}) {
      if (Files.exists(v2.resolve("cgroup.controllers"))) {
        String where = (v2.equals(root) ? "cgroup2 at " : "cgroup v1 with cgroup2 at ") + v2;
        if (own == null) {
          return where + ", this process in no cgroup2 group";
        }
        Path group = v2.resolve(own.substring(1));
        return where + ", this process in " + own + " (controllers: " + words(read(group.resolve("cgroup.controllers")))
            + "; delegated to its children: " + words(read(group.resolve("cgroup.subtree_control"))) + ")";
      }
    }
    if (Files.exists(root.resolve("memory").resolve("cgroup.procs")) || Files.exists(root.resolve("cpu").resolve("cgroup.procs"))) {
      return "cgroup v1 at " + root;
    }
    return "no cgroup file system at " + root;
  }

  /** This process's cgroup2 path, the {@code 0::/path} line of {@code /proc/self/cgroup}; null without one. */
  static String v2Group(String procSelfCgroup) {
    for (String line : procSelfCgroup.split("\\R")) {
      if (line.startsWith("0::/")) {
        return line.substring(3).strip();
      }
    }
    return null;
  }

  private static String words(String text) {
    return text == null ? "unreadable" : text.isBlank() ? "none" : text.strip();
  }

  /** The file's text, or null when it cannot be read. */
  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
