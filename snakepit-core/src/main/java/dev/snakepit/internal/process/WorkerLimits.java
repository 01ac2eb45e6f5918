package dev.snakepit.internal.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory and CPU caps per worker, through the best mechanism this machine offers (DESIGN.md section 6,
 * layer 7): a cgroup v2 subtree with the memory and cpu controllers delegated; else cgroup v1 groups
 * (memory.limit_in_bytes, cpu.cfs_quota_us); else an address-space limit the worker sets on itself
 * (memory only). Each worker gets groups of its own, which it joins first thing at start-up, before it
 * starts anything, so everything it starts is capped and accounted with it. The groups also tell a
 * kill by the kernel's OOM killer apart from any other SIGKILL, and hold every process the worker
 * started, wherever it went in the process tree, for the kill when the worker is buried (on v1 with a
 * freezer group too, where the freezer hierarchy is mounted).
 *
 * <p>One instance per pool; its methods run on the pool's control loop.
 */
public final class WorkerLimits {
  /** How the caps are enforced. */
  public enum Mechanism {
    NONE("none"),
    CGROUP_V2("cgroup v2 (memory.max, cpu.max, cgroup.kill)"),
    CGROUP_V1("cgroup v1 (memory.limit_in_bytes, cpu.cfs_quota_us)"),
    RLIMIT("address-space limit (RLIMIT_AS) set by the worker; no CPU cap");

    final String description;

    Mechanism(String description) {
      this.description = description;
    }
  }

  /** Forces a mechanism, for tests of each path: {@code cgroup-v2}, {@code cgroup-v1} or {@code rlimit}. */
  public static final String FORCE_PROPERTY = "snakepit.limits.mechanism";

  private static final Logger LOG = LoggerFactory.getLogger(WorkerLimits.class);
  private static final Path CGROUP = Path.of("/sys/fs/cgroup");
  private static final long CPU_PERIOD_MICROS = 100_000;

  private final long memoryBytes;
  private final double cpus;
  private final Mechanism mechanism;
  private final String why;
  /** The pool's own groups, one per hierarchy used; workers' groups go inside. */
  private final List<Path> poolGroups;

  private WorkerLimits(long memoryBytes, double cpus, Mechanism mechanism, String why, List<Path> poolGroups) {
    this.memoryBytes = memoryBytes;
    this.cpus = cpus;
    this.mechanism = mechanism;
    this.why = why;
    this.poolGroups = poolGroups;
  }

  /** No caps. */
  public static WorkerLimits none() {
    return new WorkerLimits(0, 0, Mechanism.NONE, "no limit is set", List.of());
  }

  /**
   * Caps for pool {@code pool}: {@code memoryBytes} (0: none) and {@code cpus} cores (0: none), through
   * the best mechanism available.
   *
   * @throws IllegalStateException when a cap is asked for and no mechanism can enforce it
   */
  public static WorkerLimits create(String pool, long memoryBytes, double cpus) {
    if (memoryBytes <= 0 && cpus <= 0) {
      return none();
    }
    String name = "snakepit-" + ProcessHandle.current().pid() + "-" + pool;
    String forced = System.getProperty(FORCE_PROPERTY, "");
    List<String> skipped = new ArrayList<>();
    if (forced.isEmpty() || forced.equals("cgroup-v2")) {
      List<Path> groups = new ArrayList<>();
      String problem = tryV2(name, memoryBytes, cpus, groups);
      if (problem == null) {
        return new WorkerLimits(memoryBytes, cpus, Mechanism.CGROUP_V2, "", groups);
      }
      skipped.add("cgroup v2: " + problem);
    }
    if (forced.isEmpty() || forced.equals("cgroup-v1")) {
      List<Path> groups = new ArrayList<>();
      String problem = tryV1(name, memoryBytes, cpus, groups);
      if (problem == null) {
        return new WorkerLimits(memoryBytes, cpus, Mechanism.CGROUP_V1, String.join("; ", skipped), groups);
      }
      skipped.add("cgroup v1: " + problem);
    }
    if ((forced.isEmpty() || forced.equals("rlimit")) && cpus <= 0) {
      return new WorkerLimits(memoryBytes, cpus, Mechanism.RLIMIT, String.join("; ", skipped), List.of());
    }
    if (cpus > 0) {
      skipped.add("address-space limit: it cannot cap CPU");
    }
    throw new IllegalStateException("no mechanism can enforce the worker limits on this machine: " + String.join("; ", skipped));
  }

  public Mechanism mechanism() {
    return mechanism;
  }

  /** The mechanism in words, with why better ones were not used. */
  public String describe() {
    return mechanism.description + (why.isEmpty() ? "" : " [" + why + "]");
  }

  /** Creates worker {@code id}'s groups and returns what its environment must carry to join them or cap itself. */
  public Map<String, String> prepare(String id) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    switch (mechanism) {
      case NONE -> { }
      case RLIMIT -> env.put("SNAKEPIT_RLIMIT_AS", Long.toString(memoryBytes));
      case CGROUP_V1, CGROUP_V2 -> {
        List<String> procs = new ArrayList<>();
        for (Path pool : poolGroups) {
          Path group = Files.createDirectories(pool.resolve(id));
          writeLimits(group);
          procs.add(group.resolve("cgroup.procs").toString());
        }
        env.put("SNAKEPIT_CGROUP_PROCS", String.join(":", procs));
      }
    }
    return env;
  }

  /** Whether the kernel's OOM killer killed a process in worker {@code id}'s groups (its memory cap was hit). */
  public boolean oomKilled(String id) {
    for (Path pool : poolGroups) {
      Path group = pool.resolve(id);
      Path events = group.resolve(mechanism == Mechanism.CGROUP_V2 ? "memory.events" : "memory.oom_control");
      try {
        for (String line : Files.readAllLines(events, StandardCharsets.UTF_8)) {
          String[] parts = line.trim().split("\\s+");
          if (parts.length == 2 && parts[0].equals("oom_kill") && Long.parseLong(parts[1]) > 0) {
            return true;
          }
        }
      } catch (IOException | RuntimeException e) {
        // No such file in this hierarchy (cpu), or gone.
      }
    }
    return false;
  }

  /**
   * Kills whatever is left in worker {@code id}'s groups, wherever in the process tree it went, and
   * removes them: on v2 by {@code cgroup.kill}; on v1 by freezing the worker's freezer group, killing
   * every member of its groups and thawing it, so that nothing forks while it is killed.
   */
  public void release(String id) {
    List<Path> groups = poolGroups.stream().map(pool -> pool.resolve(id)).filter(Files::isDirectory).toList();
    if (mechanism == Mechanism.CGROUP_V2) {
      groups.forEach(group -> writeQuietly(group.resolve("cgroup.kill"), "1"));
    } else {
      List<Path> freezers = groups.stream().filter(g -> Files.exists(g.resolve("freezer.state"))).toList();
      freezers.forEach(group -> freeze(group, "FROZEN"));
      // Frozen, nothing can fork: one round is enough, and frozen members stay listed until thawed.
      int rounds = freezers.isEmpty() ? 20 : 1;
      groups.forEach(group -> killMembers(group, rounds));
      freezers.forEach(group -> freeze(group, "THAWED")); // a frozen process dies of its SIGKILL once thawed
    }
    groups.forEach(WorkerLimits::removeWhenEmpty);
  }

  /** Removes the pool's groups; call after every worker is released. */
  public void close() {
    for (Path pool : poolGroups) {
      removeWhenEmpty(pool);
    }
  }

  private void writeLimits(Path group) throws IOException {
    if (mechanism == Mechanism.CGROUP_V2) {
      if (memoryBytes > 0) {
        Files.writeString(group.resolve("memory.max"), Long.toString(memoryBytes));
        writeQuietly(group.resolve("memory.swap.max"), "0");
      }
      if (cpus > 0) {
        Files.writeString(group.resolve("cpu.max"), Math.round(cpus * CPU_PERIOD_MICROS) + " " + CPU_PERIOD_MICROS);
      }
      return;
    }
    if (memoryBytes > 0 && Files.exists(group.resolve("memory.limit_in_bytes"))) {
      Files.writeString(group.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
      writeQuietly(group.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
    }
    if (cpus > 0 && Files.exists(group.resolve("cpu.cfs_quota_us"))) {
      Files.writeString(group.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_MICROS));
      Files.writeString(group.resolve("cpu.cfs_quota_us"), Long.toString(Math.round(cpus * CPU_PERIOD_MICROS)));
    }
  }

  /** A v2 subtree: a group inside this JVM's own group, with memory and cpu enabled for its children. */
  private static String tryV2(String name, long memoryBytes, double cpus, List<Path> groups) {
    Path root = v2Root();
    if (root == null) {
      return "not mounted";
    }
    Path own = root.resolve(ownPath("0", "").substring(1));
    Path pool = own.resolve(name);
    try {
      String available = Files.readString(own.resolve("cgroup.controllers")).trim();
      List<String> needed = new ArrayList<>();
      if (memoryBytes > 0) {
        needed.add("memory");
      }
      if (cpus > 0) {
        needed.add("cpu");
      }
      for (String controller : needed) {
        if (!List.of(available.split("\\s+")).contains(controller)) {
          return "the " + controller + " controller is not delegated to " + own + " (it has: '" + available + "')";
        }
      }
      Files.createDirectories(pool);
      Files.writeString(pool.resolve("cgroup.subtree_control"),
          String.join(" ", needed.stream().map(c -> "+" + c).toList()));
      groups.add(pool);
      return null;
    } catch (IOException | RuntimeException e) {
      removeWhenEmpty(pool);
      return "cannot set up " + pool + ": " + e;
    }
  }

  private static Path v2Root() {
    for (Path candidate : List.of(CGROUP, CGROUP.resolve("unified"))) {
      if (Files.exists(candidate.resolve("cgroup.controllers"))) {
        return candidate;
      }
    }
    return null;
  }

  /** v1 groups under this JVM's own groups in the memory and cpu hierarchies, as needed. */
  private static String tryV1(String name, long memoryBytes, double cpus, List<Path> groups) {
    Map<String, Long> wanted = new LinkedHashMap<>();
    if (memoryBytes > 0) {
      wanted.put("memory", memoryBytes);
    }
    if (cpus > 0) {
      wanted.put("cpu", 1L);
    }
    for (String controller : wanted.keySet()) {
      Path mount = CGROUP.resolve(controller);
      if (!Files.exists(mount.resolve("cgroup.procs"))) {
        return "no " + controller + " hierarchy at " + mount;
      }
      String own = ownPath(null, controller);
      if (own == null) {
        return "this process is in no " + controller + " group";
      }
      Path pool = mount.resolve(own.substring(1)).resolve(name);
      try {
        Files.createDirectories(pool);
        groups.add(pool);
      } catch (IOException | RuntimeException e) {
        groups.forEach(WorkerLimits::removeWhenEmpty);
        groups.clear();
        return "cannot create " + pool + ": " + e.getMessage();
      }
    }
    // The freezer, where there is one, holds a worker's processes still while they are killed, so
    // that none can fork a new one meanwhile. Best effort: without it the kill goes round after round.
    String frozen = ownPath(null, "freezer");
    Path freezer = CGROUP.resolve("freezer");
    if (frozen != null && Files.exists(freezer.resolve("cgroup.procs"))) {
      Path pool = freezer.resolve(frozen.substring(1)).resolve(name);
      try {
        Files.createDirectories(pool);
        groups.add(pool);
      } catch (IOException | RuntimeException e) {
        LOG.debug("no freezer group for pool {}: {}", name, e.toString());
      }
    }
    return null;
  }

  /**
   * Sets a v1 freezer group's state ({@code FROZEN} or {@code THAWED}) and waits, briefly, until the
   * kernel reports it; a group that does not get there is killed all the same.
   */
  private static void freeze(Path group, String state) {
    writeQuietly(group.resolve("freezer.state"), state);
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        if (Files.readString(group.resolve("freezer.state")).trim().equals(state)) {
          return;
        }
        Thread.sleep(2); // freezing is asynchronous: a task freezes at its next return to user space
      } catch (IOException e) {
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * This process's group path from /proc/self/cgroup: the v2 line when {@code id} is "0", else the v1
   * line listing {@code controller}; null when there is none.
   */
  private static String ownPath(String id, String controller) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.UTF_8)) {
        String[] parts = line.split(":", 3);
        if (parts.length < 3) {
          continue;
        }
        if (id != null && parts[0].equals(id) && parts[1].isEmpty()) {
          return parts[2];
        }
        if (id == null && List.of(parts[1].split(",")).contains(controller)) {
          return parts[2];
        }
      }
    } catch (IOException e) {
      return id != null ? "/" : null;
    }
    return id != null ? "/" : null;
  }

  /**
   * Kills every process in a v1 group, round after round until it is empty or {@code rounds} have
   * passed: a member that forks between the read and the kill puts its child into the same group, and
   * the next round finds it.
   */
  private static void killMembers(Path group, int rounds) {
    for (int round = 0; round < rounds; round++) {
      List<String> members;
      try {
        members = Files.readAllLines(group.resolve("cgroup.procs"), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return; // gone already
      }
      boolean any = false;
      for (String pid : members) {
        if (!pid.isBlank()) {
          any |= ProcessHandle.of(Long.parseLong(pid.trim())).map(ProcessHandle::destroyForcibly).orElse(false);
        }
      }
      if (!any) {
        return;
      }
    }
  }

  /** rmdir of a cgroup: it fails while a process is still in it, for the moment its exit takes. */
  private static void removeWhenEmpty(Path group) {
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        Files.deleteIfExists(group);
        return;
      } catch (IOException e) {
        Thread.onSpinWait();
        try {
          Thread.sleep(10); // a killed process leaves its cgroup as it exits, within milliseconds
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    LOG.debug("could not remove cgroup {}", group);
  }

  private static void writeQuietly(Path file, String value) {
    try {
      Files.writeString(file, value);
    } catch (IOException e) {
      // Optional knob (swap accounting may be off).
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "WorkerLimits{memory=%d, cpus=%.2f, %s}", memoryBytes, cpus, describe());
  }
}
