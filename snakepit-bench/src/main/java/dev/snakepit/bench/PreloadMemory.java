package dev.snakepit.bench;

import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The memory a pool's workers hold when the adapter loads 200 MiB in {@code preload()}: the
 * proportional set size (PSS: each page divided by the processes that share it) of every process of
 * the workers' trees, keepers included, and of the template they were forked from, read from
 * {@code /proc/<pid>/smaps_rollup}, for a pool of one worker and a pool of eight, with and without
 * preloading.
 */
final class PreloadMemory {
  static final String ADAPTER = "benchtools.preloaded:Preloaded";
  static final int PRELOAD_MIB = 200;
  static final int WORKERS = 8;

  private PreloadMemory() {}

  /** One pool measured: its workers, whether they were forked from a template, the PSS of all their processes, the data each loaded. */
  record Measured(int workers, boolean preloaded, long pssBytes, long loadedBytes) {}

  static List<Measured> run(BenchPython python) throws IOException {
    List<Measured> all = new ArrayList<>();
    for (boolean preload : new boolean[] {false, true}) {
      for (int size : new int[] {1, WORKERS}) {
        PoolConfig config = python.pool("preloaded-" + size, size, ADAPTER).preload(preload)
            .environment("BENCH_PRELOAD_MIB", Integer.toString(PRELOAD_MIB)).build();
        try (Snakepit pool = Snakepit.start(config)) {
          long loaded = ((Number) pool.execute("loaded", Map.of())).longValue();
          long pss = 0;
          Set<Long> templates = new HashSet<>();
          for (long worker : pool.workerPids()) {
            pss += treePss(worker);
            template(worker).ifPresent(templates::add);
          }
          for (long template : templates) {
            pss += pss(template);
          }
          all.add(new Measured(size, preload, pss, loaded));
        }
      }
    }
    return all;
  }

  /** The PSS of {@code worker} and of its keeper (its parent, the process the pool started or the template forked). */
  static long treePss(long worker) throws IOException {
    long total = pss(worker);
    ProcessHandle keeper = ProcessHandle.of(worker).flatMap(ProcessHandle::parent).orElse(null);
    if (keeper != null && keeper.pid() != ProcessHandle.current().pid()) {
      total += pss(keeper.pid());
    }
    return total;
  }

  /** The template {@code worker} was forked from: its keeper's parent, when that is not this JVM. */
  private static Optional<Long> template(long worker) {
    return ProcessHandle.of(worker).flatMap(ProcessHandle::parent).flatMap(ProcessHandle::parent).map(ProcessHandle::pid)
        .filter(pid -> pid != ProcessHandle.current().pid());
  }

  /** {@code Pss:} of {@code /proc/<pid>/smaps_rollup}, in bytes; 0 when the kernel has no such file. */
  static long pss(long pid) throws IOException {
    Path rollup = Path.of("/proc", Long.toString(pid), "smaps_rollup");
    if (!Files.isReadable(rollup)) {
      return 0;
    }
    for (String line : Files.readAllLines(rollup)) {
      if (line.startsWith("Pss:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return 0;
  }

  static String table(List<Measured> measured) {
    StringBuilder out = new StringBuilder("| pool | preloading | preload() loads | PSS of the pool's processes | per worker |\n"
        + "|---|---|---|---|---|\n");
    for (Measured m : measured) {
      out.append(String.format(Locale.ROOT, "| %d worker%s | %s | %d MiB each | %.0f MiB | %.0f MiB |%n", m.workers(),
          m.workers() == 1 ? "" : "s", m.preloaded() ? "on (template included)" : "off", m.loadedBytes() >> 20,
          m.pssBytes() / 1048576.0, m.pssBytes() / 1048576.0 / m.workers()));
    }
    Measured one = find(measured, 1, false);
    for (boolean preloaded : new boolean[] {false, true}) {
      Measured many = find(measured, WORKERS, preloaded);
      if (one != null && many != null && one.pssBytes() > 0) {
        out.append(String.format(Locale.ROOT, "%n%d workers %s hold %.2f times the PSS of one worker without preloading"
            + " (the target with preloading is at most 1.5 times).%n", many.workers(),
            preloaded ? "forked from a template" : "without preloading", (double) many.pssBytes() / one.pssBytes()));
      }
    }
    return out.toString();
  }

  private static Measured find(List<Measured> measured, int workers, boolean preloaded) {
    return measured.stream().filter(m -> m.workers() == workers && m.preloaded() == preloaded).findFirst().orElse(null);
  }
}
