package dev.snakepit.bench;

import dev.snakepit.cli.SideBySide;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark harness, {@code ./snakepit bench}: every measurement of {@code docs/benchmarks.md} in one
 * run, side by side where there is a comparison. Writes the tables to {@code OUT/latest.md} and the
 * plots to {@code OUT/*.png}, and prints both as it goes.
 *
 * <p>Arguments: {@code --python CMD} (an interpreter with grpcio; default {@code python3}),
 * {@code --out DIR} (default {@code docs/benchmarks}), {@code --quick true} (a smoke run: short
 * phases, figures not worth quoting), {@code --only SECTIONS} (a comma-separated subset of
 * {@code noop, jmh, throughput, payloads, startup}; their tables still go to {@code OUT/latest.md}).
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = Options.parse(args, List.of("python", "out", "quick", "only"));
    List<String> sections = List.of("noop", "jmh", "throughput", "payloads", "startup");
    List<String> only = List.of(options.getOrDefault("only", String.join(",", sections)).split(","));
    for (String name : only) {
      if (!sections.contains(name)) {
        throw new IllegalArgumentException("--only: unknown section '" + name + "'; sections: " + String.join(", ", sections));
      }
    }
    String pythonCommand = options.getOrDefault("python", "python3");
    Path out = Path.of(options.getOrDefault("out", "docs/benchmarks"));
    boolean quick = "true".equals(options.get("quick"));
    Files.createDirectories(out);
    long started = System.nanoTime();
    List<String> report = new ArrayList<>();
    report.add("# Latest benchmark run\n\nWritten by `./snakepit bench` on " + LocalDate.now() + " (" + Machine.describe(pythonCommand)
        + "); `docs/benchmarks.md` explains the figures.\n");
    try (BenchPython python = new BenchPython(pythonCommand)) {
      if (only.contains("noop")) {
        section("no-op call: floor, Snakepit, gRPC");
        List<SideBySide.Result> noop = quick ? Noop.run(python, 2_000, 2, 500) : Noop.run(python, 10_000, 5, 2_000);
        report.add("## No-op call, sequential\n\n" + Noop.table(noop));
        Plots.lines(out.resolve("noop-latency.png"), "No-op call latency, sequential (one thread)", "latency (us, log scale)",
            "percentile", true, Noop.distribution(noop));
      }
      if (only.contains("jmh")) {
        section("JMH: the Java side's codec");
        report.add("## The Java side's codec (JMH)\n\n" + Jmh.run(quick));
      }
      if (only.contains("throughput")) {
        throughput(python, quick, out, report);
      }
      if (only.contains("payloads")) {
        section("payloads: 100 B to 64 MiB, each way");
        report.add("## Payloads\n\n" + Payloads.table(Payloads.run(python)));
      }
      if (only.contains("startup")) {
        section("start-up and recovery");
        report.add("## Start-up and recovery\n\n" + StartupAndRecovery.table(StartupAndRecovery.run(python, quick ? 2 : 5)));
      }
    }
    report.add(String.format(Locale.ROOT, "The run took %.0f s.%n", (System.nanoTime() - started) / 1e9));
    Files.writeString(out.resolve("latest.md"), String.join("\n", report));
    System.out.println();
    System.out.println(String.join("\n", report));
  }

  private static void throughput(BenchPython python, boolean quick, Path out, List<String> report) throws Exception {
    section("throughput: 1, 2 and 4 workers, 1 to 16 callers");
    int primesBelow = 100_000;
    List<Throughput.Cell> cells = Throughput.run(python, quick ? Duration.ofMillis(200) : Duration.ofSeconds(1), primesBelow);
    report.add("## Throughput (calls/s)\n\nNo-op tool:\n\n" + Throughput.table(cells, "no-op") + "\nCPU-bound tool (`cpu`, primes"
        + " below " + primesBelow + "):\n\n" + Throughput.table(cells, "cpu") + "\nCPU-bound scaling: " + Throughput.scaling(cells, "cpu")
        + "\n");
    for (String tool : List.of("no-op", "cpu")) {
      List<Plots.Series> series = new ArrayList<>();
      for (int workers : Throughput.WORKERS) {
        double[] xs = new double[Throughput.CALLERS.length];
        double[] ys = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
          xs[i] = Throughput.CALLERS[i];
          ys[i] = Throughput.find(cells, tool, workers, Throughput.CALLERS[i]);
        }
        series.add(new Plots.Series(workers + (workers == 1 ? " worker" : " workers"), xs, ys));
      }
      Plots.lines(out.resolve("throughput-" + tool + ".png"), "Throughput, " + tool + " tool", "concurrent callers", "calls/s",
          false, series);
    }
  }

  private static void section(String title) {
    System.out.println();
    System.out.println("== " + title);
  }
}
