package dev.snakepit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The doctor's checks of the machine itself: the JDK, the operating system, {@code /dev/shm}, the
 * process limits and the memory. Each takes what it judges as a value (a version, a {@link FileStore},
 * the text of a {@code /proc} file), so that tests can hand it any machine; the no-argument forms read
 * this one.
 */
final class MachineChecks {
  static final int MIN_JAVA = 21;
  /** Below this much free space in /dev/shm a few large values in flight fill it (Docker's default is 64 MiB). */
  static final long MIN_SHARED_MEMORY = 64L * 1024 * 1024;
  static final long MIN_OPEN_FILES = 4096;
  static final long MIN_PROCESSES = 1024;
  static final long UNLIMITED = Long.MAX_VALUE;

  private static final Pattern LIMIT_LINE = Pattern.compile("^(Max [a-z ]+?)\\s{2,}(\\S+)\\s+(\\S+).*$");
  private static final Pattern MEMINFO_LINE = Pattern.compile("^(\\w+):\\s+(\\d+) kB$");

  private MachineChecks() {}

  /** A soft and a hard limit from {@code /proc/self/limits}; {@link #UNLIMITED} for {@code unlimited}. */
  record Limit(long soft, long hard) {}

  static DoctorCheck java() {
    return java(Runtime.version(), System.getProperty("java.vendor", "?"), System.getProperty("java.home", "?"));
  }

  static DoctorCheck java(Runtime.Version version, String vendor, String home) {
    String found = version + " (" + vendor + ") at " + home;
    if (version.feature() < MIN_JAVA) {
      return DoctorCheck.fail("java", found + "; Snakepit needs Java " + MIN_JAVA + " or newer",
          "install a JDK " + MIN_JAVA + " or newer and point JAVA_HOME at it");
    }
    return DoctorCheck.ok("java", found);
  }

  /**
   * Linux, which the guards against orphaned workers need, and whether the interpreter can arm the
   * parent-death signal: {@code prctl} is the probe's answer, {@code ok} or why not, or null when no
   * interpreter could be asked.
   */
  static DoctorCheck linux(String osName, String osVersion, String prctl) {
    String os = osName + " " + osVersion;
    if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
      return DoctorCheck.fail("linux", os + ": the guards that leave no orphaned worker (PR_SET_PDEATHSIG,"
          + " PR_SET_CHILD_SUBREAPER, cgroups, /proc) need Linux", "run Snakepit on Linux (in a Linux VM or container on this machine)");
    }
    if (prctl == null) {
      return DoctorCheck.ok("linux", os + "; the parent-death signal not tried (no usable interpreter)");
    }
    if (!prctl.equals("ok")) {
      return DoctorCheck.warn("linux", os + "; the interpreter cannot arm the parent-death signal (" + prctl
          + "): a worker is stopped by its lifeline and its keeper only", "use a CPython built with ctypes (python3 -c 'import ctypes' must work)");
    }
    return DoctorCheck.ok("linux", os + "; prctl(PR_SET_PDEATHSIG) works from the interpreter");
  }

  static DoctorCheck sharedMemory() {
    Path directory = Path.of("/dev/shm");
    if (!Files.isDirectory(directory)) {
      return DoctorCheck.warn("/dev/shm", "missing: a pool with sharedMemory(true) has no directory for large values",
          "mount a tmpfs there (mount -t tmpfs -o size=1g tmpfs /dev/shm), or give the pool sharedMemoryDirectory(a tmpfs directory)");
    }
    try {
      return sharedMemory(Files.getFileStore(directory));
    } catch (IOException e) {
      return DoctorCheck.warn("/dev/shm", "cannot read its size: " + e.getMessage(),
          "check that /dev/shm is a mounted tmpfs (df -h /dev/shm)");
    }
  }

  /** Judges the file system at {@code /dev/shm} by its free space. */
  static DoctorCheck sharedMemory(FileStore store) throws IOException {
    long total = store.getTotalSpace();
    long free = store.getUsableSpace();
    String found = store.type() + ", " + size(total) + ", " + size(free) + " free";
    if (free < MIN_SHARED_MEMORY) {
      return DoctorCheck.warn("/dev/shm", found + ": under " + size(MIN_SHARED_MEMORY) + ", large values sent through"
          + " shared memory (sharedMemory(true)) fail with RESOURCE_EXHAUSTED; without it they cross the socket",
          "give it room: docker run --shm-size=1g, or mount -o remount,size=1g /dev/shm; or point sharedMemoryDirectory at a larger tmpfs");
    }
    return DoctorCheck.ok("/dev/shm", found);
  }

  /** The open-files and processes checks from this process's {@code /proc/self/limits}. */
  static List<DoctorCheck> limits() {
    try {
      return limits(Files.readString(Path.of("/proc/self/limits"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      String fix = "run on Linux, where /proc/self/limits says them";
      return List.of(DoctorCheck.warn("open files", "cannot read /proc/self/limits: " + e.getMessage(), fix),
          DoctorCheck.warn("processes", "cannot read /proc/self/limits: " + e.getMessage(), fix));
    }
  }

  static List<DoctorCheck> limits(String procSelfLimits) {
    Map<String, Limit> limits = parseLimits(procSelfLimits);
    return List.of(
        limit("open files", limits.get("Max open files"), MIN_OPEN_FILES,
            "the JVM holds a socket and pipes per worker, and Python code opens files of its own",
            target -> "ulimit -n " + target + " in the shell that starts the JVM (LimitNOFILE= for a systemd service,"
                + " docker run --ulimit nofile=65536:65536)"),
        limit("processes", limits.get("Max processes"), MIN_PROCESSES,
            "every process and thread of this user counts, and each worker is two processes (the worker and its keeper)",
            target -> "ulimit -u " + target + " in the shell that starts the JVM (LimitNPROC= for a systemd service)"));
  }

  /** The limits in {@code text}, by their name there ({@code Max open files}). */
  static Map<String, Limit> parseLimits(String text) {
    Map<String, Limit> limits = new LinkedHashMap<>();
    for (String line : text.split("\\R")) {
      Matcher m = LIMIT_LINE.matcher(line);
      if (m.matches()) {
        limits.put(m.group(1), new Limit(limitValue(m.group(2)), limitValue(m.group(3))));
      }
    }
    return limits;
  }

  static DoctorCheck memory() {
    try {
      return memory(Files.readString(Path.of("/proc/meminfo"), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return DoctorCheck.warn("memory", "cannot read /proc/meminfo: " + e.getMessage(), "run on Linux, where /proc/meminfo says it");
    }
  }

  /** What {@code /proc/meminfo} says is available; information, never a failure. */
  static DoctorCheck memory(String procMeminfo) {
    Map<String, Long> kib = new LinkedHashMap<>();
    for (String line : procMeminfo.split("\\R")) {
      Matcher m = MEMINFO_LINE.matcher(line.strip());
      if (m.matches()) {
        kib.put(m.group(1), Long.parseLong(m.group(2)));
      }
    }
    Long available = kib.get("MemAvailable");
    Long total = kib.get("MemTotal");
    if (available == null || total == null) {
      return DoctorCheck.warn("memory", "/proc/meminfo has no MemAvailable or MemTotal",
          "run on Linux 3.14 or newer, whose /proc/meminfo has MemAvailable");
    }
    return DoctorCheck.ok("memory", size(available * 1024) + " available of " + size(total * 1024));
  }

  /** {@code 512 KiB}, {@code 63.5 MiB}, {@code 24.0 GiB}. */
  static String size(long bytes) {
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%d KiB", bytes / 1024);
    }
    if (bytes < 1024L * 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
    return String.format(Locale.ROOT, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  }

  private static DoctorCheck limit(String name, Limit limit, long minimum, String why, LongFunction<String> fix) {
    if (limit == null) {
      return DoctorCheck.warn(name, "not listed in /proc/self/limits", "check the limit with ulimit -a");
    }
    String found = "soft " + limitText(limit.soft()) + ", hard " + limitText(limit.hard());
    if (limit.soft() < minimum) {
      String fixed = fix.apply(raised(limit.hard(), minimum));
      if (limit.hard() < minimum) {
        fixed = "as root, raise the hard limit first (/etc/security/limits.conf); then " + fixed;
      }
      return DoctorCheck.warn(name, found + ": under " + minimum + ", and " + why, fixed);
    }
    return DoctorCheck.ok(name, found);
  }

  /** What to raise a soft limit to: 65536, or the hard limit when that is lower but enough. */
  private static long raised(long hard, long minimum) {
    return hard >= minimum ? Math.min(hard, 65536) : 65536;
  }

  private static long limitValue(String text) {
    if (text.equals("unlimited")) {
      return UNLIMITED;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return UNLIMITED;
    }
  }

  private static String limitText(long value) {
    return value == UNLIMITED ? "unlimited" : Long.toString(value);
  }
}
