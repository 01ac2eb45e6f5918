package dev.snakepit.bench;

import dev.snakepit.cli.SideBySide;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The benchmark harness, {@code ./snakepit bench}: every measurement of {@code docs/benchmarks.md} in one
 * run, side by side where there is a comparison. Writes the tables to {@code OUT/latest.md} and the
 * plots to {@code OUT/*.png}, and prints both as it goes. Its options are picocli's, as the CLI's are;
 * {@code --help} lists them.
 */
@Command(name = "./snakepit bench", sortOptions = false,
    description = "Runs the benchmarks; writes OUT/latest.md and the plots.")
public final class Bench implements Callable<Integer> {
  static final List<String> SECTIONS = List.of("noop", "jmh", "throughput", "payloads", "arrays", "records", "batch", "references",
      "concurrency", "startup");

  @Option(names = "--python", paramLabel = "CMD", defaultValue = "python3",
      description = "an interpreter with grpcio; ./snakepit passes the one of .venv-bench/ (default ${DEFAULT-VALUE})")
  String pythonCommand;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "docs/benchmarks",
      description = "where latest.md and the plots go (default ${DEFAULT-VALUE})")
  Path out;

  /** Written {@code --quick true} by scripts, {@code --quick} alone also means true. */
  @Option(names = "--quick", paramLabel = "true|false", arity = "0..1", fallbackValue = "true",
      description = "a smoke run: short phases, figures not worth quoting")
  boolean quick;

  @Option(names = "--only", paramLabel = "SECTIONS",
      description = "a comma-separated subset of noop, jmh, throughput, payloads, arrays, records, batch, references,"
          + " concurrency, startup"
          + " (default all);"
          + " their tables still go to OUT/latest.md")
  String only;

  @Option(names = "--huge-pages", paramLabel = "DIR",
      description = "section arrays also measures shared memory in DIR, a tmpfs mounted with huge=always"
          + " (mount -t tmpfs -o huge=always,size=8g tmpfs DIR; root only)")
  Path hugePages;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this usage and exit")
  boolean help;

  @Spec
  CommandSpec spec;

  public static void main(String[] args) {
    int status = commandLine(new Bench()).execute(args);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * The harness's command line. A later option wins over an earlier one, so that {@code ./snakepit bench
   * --python X} overrides the interpreter the launcher passes first. Bad input is reported in one line
   * and ends the run with status 1; so does a failure inside the run, with its stack trace.
   */
  static CommandLine commandLine(Bench bench) {
    return new CommandLine(bench)
        .setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF))
        .setOverwrittenOptionsAllowed(true)
        .setParameterExceptionHandler(Bench::usageError);
  }

  private static int usageError(ParameterException e, String[] args) {
    CommandSpec spec = e.getCommandLine().getCommandSpec();
    String known = spec.options().stream().map(OptionSpec::longestName).collect(Collectors.joining(", "));
    String message;
    if (e instanceof UnmatchedArgumentException unmatched) {
      message = "unknown option '" + unmatched.getUnmatched().getFirst() + "'; known: " + known;
    } else if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()
        && missing.getMissing().getFirst() instanceof OptionSpec option) {
      message = "option " + option.longestName() + " needs a value";
    } else {
      message = e.getMessage();
    }
    PrintWriter err = e.getCommandLine().getErr();
    err.println(spec.name() + ": " + message);
    err.println("Run '" + spec.name() + " --help' for usage.");
    err.flush();
    return 1;
  }

  /**
   * The sections {@code --only} names, in its order, or all of them.
   *
   * @throws ParameterException naming a section that does not exist and the ones that do
   */
  List<String> sections() {
    if (only == null) {
      return SECTIONS;
    }
    List<String> named = List.of(only.split(","));
    for (String name : named) {
      if (!SECTIONS.contains(name)) {
        throw new ParameterException(spec.commandLine(), "--only: unknown section '" + name + "'; sections: " + String.join(", ", SECTIONS));
      }
    }
    return named;
  }

  @Override
  public Integer call() throws Exception {
    List<String> sections = sections();
    Files.createDirectories(out);
    long started = System.nanoTime();
    List<String> report = new ArrayList<>();
    report.add("# Latest benchmark run\n\nWritten by `./snakepit bench` on " + LocalDate.now() + " (" + Machine.describe(pythonCommand)
        + "); `docs/benchmarks.md` explains the figures.\n");
    try (BenchPython python = new BenchPython(pythonCommand)) {
      if (sections.contains("noop")) {
        section("no-op call: floor, Snakepit, gRPC");
        List<SideBySide.Result> noop = quick ? Noop.run(python, 2_000, 2, 500) : Noop.run(python, 10_000, 5, 2_000);
        report.add("## No-op call, sequential\n\n" + Noop.table(noop));
        Plots.lines(out.resolve("noop-latency.png"), "No-op call latency, sequential (one thread)", "latency (us, log scale)",
            "percentile", true, Noop.distribution(noop));
      }
      if (sections.contains("jmh")) {
        section("JMH: the Java side's codec and a whole no-op call");
        report.add("## The Java side's codec and a whole no-op call (JMH)\n\n" + Jmh.run(quick, pythonCommand));
      }
      if (sections.contains("throughput")) {
        throughput(python, quick, out, report);
      }
      if (sections.contains("payloads")) {
        section("payloads: 100 B to 64 MiB, each way");
        report.add("## Payloads\n\n" + Payloads.table(Payloads.run(python)));
      }
      if (sections.contains("arrays")) {
        section("arrays: float64, 1 MiB to 256 MiB, each way");
        report.add("## Arrays\n\n" + ArrayPayloads.table(ArrayPayloads.run(python, quick, hugePages)));
      }
      if (sections.contains("records")) {
        section("records: Arrow tables against JSON, each way");
        report.add("## Records: Arrow against JSON\n\n" + Records.table(Records.run(python, quick)));
      }
      if (sections.contains("batch")) {
        section("batches: an item's cost against a single call");
        List<Batches.Row> batches = quick ? Batches.run(python, 3, 1_000, 2_000) : Batches.run(python, 7, 5_000, 20_000);
        report.add("## Batches\n\n" + Batches.table(batches));
      }
      if (sections.contains("references")) {
        section("references: Py4J and Jep beside Snakepit");
        report.add("## References: Py4J and Jep\n\n" + References.run(python, quick));
      }
      if (sections.contains("concurrency")) {
        section("concurrency: a tool that waits, at concurrency 1 and 8");
        report.add("## Concurrency above 1 per worker\n\n" + Concurrency.run(python, quick));
      }
      if (sections.contains("startup")) {
        section("start-up and recovery");
        report.add("## Start-up and recovery\n\n" + StartupAndRecovery.table(StartupAndRecovery.run(python, quick ? 2 : 5)));
        section("memory: workers of an adapter that preloads " + PreloadMemory.PRELOAD_MIB + " MiB");
        report.add("## Memory of preloaded data\n\n" + PreloadMemory.table(PreloadMemory.run(python)));
      }
    }
    report.add(String.format(Locale.ROOT, "The run took %.0f s.%n", (System.nanoTime() - started) / 1e9));
    Files.writeString(out.resolve("latest.md"), String.join("\n", report));
    System.out.println();
    System.out.println(String.join("\n", report));
    return 0;
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
