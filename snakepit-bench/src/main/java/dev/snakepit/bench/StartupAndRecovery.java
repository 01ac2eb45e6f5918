package dev.snakepit.bench;

import dev.snakepit.Call;
import dev.snakepit.PoolConfig;
import dev.snakepit.Reload;
import dev.snakepit.Snakepit;
import dev.snakepit.chaos.Faults;
import dev.snakepit.chaos.JvmCrashHarness;
import dev.snakepit.cli.TextTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-up (pools of 1, 4 and 16 workers ready, with and without preloading, against one bare
 * interpreter start and against interpreters doing only a worker's imports, one and 16 at once) and
 * recovery (a worker SIGKILLed, to its replacement serving, with and without preloading; a pool
 * reloaded, to its new generation serving and its old one stopped; the JVM SIGKILLed, to its last
 * worker gone, with and without preloading).
 */
final class StartupAndRecovery {
  static final int[] POOL_SIZES = {1, 4, 16};

  /** A figure: what, the median of the runs, and every run, in milliseconds. */
  record Figure(String what, double medianMillis, double[] runsMillis) {}

  private StartupAndRecovery() {}

  static List<Figure> run(BenchPython python, int runs) throws Exception {
    List<Figure> figures = new ArrayList<>();
    figures.add(figure("bare interpreter start (`python -c pass`)", runs, false, () -> {
      Process p = new ProcessBuilder(python.python(), "-c", "pass").start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("python -c pass failed");
      }
    }));
    for (boolean preload : new boolean[] {false, true}) {
      for (int size : POOL_SIZES) {
        // The first pool of a JVM also loads classes and unpacks the runtime: one untimed run first.
        // Timed to the return of start(), when every worker is ready; closing the pool is not counted.
        figures.add(figure("pool of " + size + " ready" + (preload ? ", preloaded (`preload(true)`)" : " (`Snakepit.start`)"),
            runs, true, (Action) () -> {
              long start = System.nanoTime();
              try (Snakepit pool = Snakepit.start(python.pool("startup-" + size, size).preload(preload).build())) {
                double millis = (System.nanoTime() - start) / 1e6;
                if (pool.stats().idle() != size) {
                  throw new IllegalStateException("the pool started with " + pool.stats().describe());
                }
                return millis;
              }
            }));
      }
    }
    // What a pool start cannot go below on this machine: interpreters doing a worker's imports and
    // nothing else, one alone and as many at once as the largest pool has workers. Measured after the
    // pools, whose start has compiled the runtime to bytecode.
    figures.add(figure("one interpreter importing the runtime and the adapter", runs, true, () -> awaitAll(List.of(python.startImporting()))));
    int most = POOL_SIZES[POOL_SIZES.length - 1];
    figures.add(figure(most + " interpreters importing them at once", runs, true, () -> {
      List<Process> all = new ArrayList<>();
      for (int i = 0; i < most; i++) {
        all.add(python.startImporting());
      }
      awaitAll(all);
    }));
    for (boolean preload : new boolean[] {false, true}) {
      try (Snakepit pool = Snakepit.start(python.pool("recovery", 1).preload(preload).build())) {
        // Sent at once after the kill: it may reach the dying worker before the pool knows, and is then
        // sent again (it is idempotent); otherwise it waits for the replacement, as a caller's would.
        Call ping = Call.of("ping").withRetries(2);
        figures.add(figure("worker SIGKILLed, to a call served by its replacement" + (preload ? ", preloaded" : ""), runs, true,
            () -> {
              Faults.kill(pool.workerPids().get(0));
              pool.execute(ping);
            }));
      }
    }
    try (Snakepit pool = Snakepit.start(python.pool("reload", 4).build())) {
      PoolConfig next = python.pool("reload", 4).build();
      // Timed to the return of reload(), when the new generation serves; then to the old one's stop.
      double[] stopped = new double[runs + 1];
      int[] run = {0};
      figures.add(figure("pool of 4 reloaded, to the new generation serving (`Snakepit.reload`)", runs, true, (Action) () -> {
        long start = System.nanoTime();
        Reload reload = pool.reload(next);
        double millis = (System.nanoTime() - start) / 1e6;
        reload.previousStopped().get(60, TimeUnit.SECONDS);
        stopped[run[0]++] = (System.nanoTime() - start) / 1e6;
        return millis;
      }));
      double[] timed = Arrays.copyOfRange(stopped, 1, runs + 1);
      figures.add(new Figure("pool of 4 reloaded, to the old generation stopped", median(timed), timed));
    }
    for (boolean preload : new boolean[] {false, true}) {
      figures.add(figure("JVM SIGKILLed, to its last worker gone (pool of 4" + (preload ? ", preloaded)" : ")"), runs, false, () -> {
        JvmCrashHarness.Report report = JvmCrashHarness.forAdapter("snakepit.examples.demo:DemoAdapter").python(python.python())
            .size(4).preload(preload).killAndWatch(Duration.ofSeconds(10));
        if (!report.survivors().isEmpty()) {
          throw new IllegalStateException("processes survived the JVM: " + report.survivors());
        }
        return report.gone().toNanos() / 1e6;
      }));
    }
    return figures;
  }

  private static void awaitAll(List<Process> processes) throws InterruptedException {
    for (Process p : processes) {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        processes.forEach(Process::destroyForcibly);
        throw new IllegalStateException("an interpreter importing the runtime failed or did not end within 60 s");
      }
    }
  }

  /** One timed run; returns its own measure in milliseconds, or a negative number to be timed from outside. */
  private interface Action {
    double run() throws Exception;
  }

  /** A run timed from outside. */
  private interface Timed {
    void run() throws Exception;
  }

  private static Figure figure(String what, int runs, boolean warmUp, Timed action) throws Exception {
    return figure(what, runs, warmUp, (Action) () -> {
      action.run();
      return -1;
    });
  }

  private static Figure figure(String what, int runs, boolean warmUp, Action action) throws Exception {
    if (warmUp) {
      action.run();
    }
    double[] millis = new double[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      double own = action.run();
      millis[i] = own >= 0 ? own : (System.nanoTime() - start) / 1e6;
    }
    Figure figure = new Figure(what, median(millis), millis);
    System.out.printf(Locale.ROOT, "  %s: median %.0f ms%n", what, figure.medianMillis());
    return figure;
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }

  static String table(List<Figure> figures) {
    TextTable table = new TextTable(List.of("what", "median", "runs"));
    for (Figure f : figures) {
      StringBuilder runs = new StringBuilder();
      for (double r : f.runsMillis()) {
        runs.append(runs.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", r));
      }
      table.row(f.what(), String.format(Locale.ROOT, "%.0f ms", f.medianMillis()), runs + " ms");
    }
    return table.renderMarkdown();
  }
}
