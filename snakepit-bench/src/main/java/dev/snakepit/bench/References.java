package dev.snakepit.bench;

import dev.snakepit.Snakepit;
import dev.snakepit.cli.Latencies;
import dev.snakepit.cli.SideBySide;
import dev.snakepit.cli.TextTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Section {@code references}: Snakepit beside two other ways of calling Python from Java, in one run.
 * Py4J (a Python process the JVM calls over a loopback socket, as Snakepit does) for a no-op call
 * from one thread and for 8 threads sharing one Python process; Jep (CPython embedded in the JVM) for a
 * no-op call and a 1 MiB {@code byte[]} echo. Each Snakepit figure beside them is a one-worker pool of
 * the benchmark adapter, measured the same way in the same run, the sides taking turns.
 *
 * <p>Neither reference is on the package index the bench installs from: both are built from source
 * into the bench's interpreter by {@link #BUILD_SCRIPT}. A reference that is not there is skipped with
 * the reason, printed and written in place of its rows; the section never fails for it.
 */
final class References {
  static final String BUILD_SCRIPT = "snakepit-bench/references/build-references.sh";
  static final int ECHO_BYTES = 1 << 20;
  static final int THREADS = 8;
  /** The depth of the pipelined pool beside the plain one. */
  static final int PIPELINE_DEPTH = 2;

  /** How long each part runs: a full run, or a smoke run whose figures are not worth quoting. */
  record Plan(int warmup, int rounds, int calls, int echoWarmup, int echoRounds, int echoCalls, Duration rateWindow, int rateRounds) {
    static Plan of(boolean quick) {
      return quick ? new Plan(2_000, 2, 500, 2, 2, 3, Duration.ofMillis(200), 1)
          : new Plan(10_000, 5, 2_000, 20, 5, 20, Duration.ofSeconds(1), 3);
    }
  }

  /** A reference that cannot be measured with this interpreter, and the one-line reason why. */
  static final class MissingReference extends Exception {
    MissingReference(String reason) {
      super(reason);
    }
  }

  private References() {}

  /** Measures what can be measured and returns the section's Markdown (without its heading). */
  static String run(BenchPython python, boolean quick) throws Exception {
    Plan plan = Plan.of(quick);
    String interpreter = python.python();
    String py4jMissing = null;
    String jepMissing = null;
    JepSide.Install jepInstall = null;
    try {
      Py4jSide.check(interpreter);
    } catch (MissingReference e) {
      py4jMissing = e.getMessage();
      System.out.println("  " + py4jMissing);
    }
    try {
      jepInstall = JepSide.locate(interpreter);
      System.out.println("  Jep: " + jepInstall.jar().getFileName() + " and " + jepInstall.library().getFileName() + " of "
          + PythonProbe.display(interpreter));
    } catch (MissingReference e) {
      jepMissing = e.getMessage();
      System.out.println("  " + jepMissing);
    }
    StringBuilder out = new StringBuilder();
    Map<String, Object> none = Map.of();
    try (Snakepit pool = Snakepit.start(python.pool("references", 1).maxQueue(64).build());
        Snakepit pipelined = Snakepit.start(python.pool("references-pipelined", 1).maxQueue(64).pipelineDepth(PIPELINE_DEPTH).build());
        Py4jSide py4j = py4jMissing == null ? Py4jSide.start(interpreter) : null;
        JepSide jep = jepInstall == null ? null : JepSide.start(jepInstall, ECHO_BYTES)) {
      System.out.printf("  no-op, one thread: %d rounds x %d calls per side after %d warm-up calls each%n", plan.rounds(),
          plan.calls(), plan.warmup());
      SideBySide noop = new SideBySide();
      if (py4j != null) {
        noop.add("py4j", py4j::ping);
      }
      if (jep != null) {
        noop.add("jep", jep::ping);
      }
      noop.add("snakepit", () -> pool.execute("ping", none));
      out.append("No-op call, sequential from one thread (Snakepit: `pool.execute(\"ping\")` on one worker):\n\n")
          .append(noopTable(noop.run(plan.warmup(), plan.rounds(), plan.calls(), System.out)));
      if (py4jMissing != null) {
        out.append('\n').append(py4jMissing).append('\n');
      }

      out.append('\n').append(THREADS).append(" threads calling one Python process (Snakepit: a one-worker pool, `ping` without"
          + " and with pipelining, then a no-op tool of `@tool(concurrency=8)`, async and on threads):\n\n");
      List<Named> threaded = new ArrayList<>();
      if (py4j != null) {
        threaded.add(new Named("py4j", py4j::ping));
      }
      threaded.add(new Named("snakepit", () -> pool.execute("ping", none)));
      threaded.add(new Named("snakepit, pipelineDepth " + PIPELINE_DEPTH, () -> pipelined.execute("ping", none)));
      threaded.add(new Named("snakepit, async tool of concurrency 8", () -> pool.execute("ping_async", none)));
      threaded.add(new Named("snakepit, 8-thread tool", () -> pool.execute("ping_threads", none)));
      out.append(threadsTable(threads(plan, threaded)));
      if (py4j == null) {
        out.append('\n').append(py4jMissing).append('\n');
      }

      out.append('\n').append("Echo of a 1 MiB `byte[]`, Java to Python and back (Snakepit: `pool.execute(\"echo\", Map.of(\"value\", bytes))`):\n\n");
      if (jep == null) {
        out.append(jepMissing).append('\n');
      } else {
        out.append(echoTable(echo(plan, jep, pool)));
      }
    }
    return out.toString();
  }

  /** A side with its name, for the parts that are not {@link SideBySide}'s. */
  record Named(String name, SideBySide.Side side) {}

  /** One side's calls per second in each round. */
  record Rate(String name, double[] rounds) {
    double median() {
      return Medians.of(rounds);
    }
  }

  /** {@link #THREADS} threads calling each side in a loop, the sides taking turns in rounds whose order rotates. */
  static List<Rate> threads(Plan plan, List<Named> sides) throws Exception {
    System.out.printf(Locale.ROOT, "  %d threads: %d rounds of %.1f s per side%n", THREADS, plan.rateRounds(),
        plan.rateWindow().toMillis() / 1e3);
    for (Named side : sides) {
      LoopingCallers.rate(side.side(), THREADS, plan.rateWindow().dividedBy(2)); // warm-up: the JIT, and every connection
    }
    double[][] rates = new double[sides.size()][plan.rateRounds()];
    for (int round = 0; round < plan.rateRounds(); round++) {
      StringBuilder line = new StringBuilder("  round " + (round + 1) + ":");
      for (int k = 0; k < sides.size(); k++) {
        int index = (k + round) % sides.size();
        rates[index][round] = LoopingCallers.rate(sides.get(index).side(), THREADS, plan.rateWindow());
      }
      for (int k = 0; k < sides.size(); k++) {
        line.append(String.format(Locale.ROOT, " %s %,.0f calls/s", sides.get(k).name(), rates[k][round]));
      }
      System.out.println(line);
    }
    List<Rate> result = new ArrayList<>();
    for (int k = 0; k < sides.size(); k++) {
      result.add(new Rate(sides.get(k).name(), rates[k]));
    }
    return result;
  }

  /** The 1 MiB echo three ways through Jep and once through the pool, each answer checked once in full first. */
  private static List<SideBySide.Result> echo(Plan plan, JepSide jep, Snakepit pool) throws Exception {
    byte[] data = Payloads.bytes(ECHO_BYTES);
    data[ECHO_BYTES / 2] = 1; // so that an answer of the right size but other bytes shows
    List<Named> sides = List.of(
        new Named("jep, the array passed through", () -> jep.echo(data)),
        new Named("jep, copied into Python bytes and back", () -> jep.copyThroughBytes(data)),
        new Named("jep, bytes() of the Java array", () -> jep.bytesOfArray(data)),
        new Named("snakepit", () -> pool.execute("echo", Map.of("value", data))));
    byte[][] answers = {jep.echo(data), jep.copyThroughBytes(data), jep.bytesOfArray(data),
        (byte[]) pool.execute("echo", Map.of("value", data))};
    for (int i = 0; i < answers.length; i++) {
      if (!Arrays.equals(answers[i], data)) {
        throw new IllegalStateException("the echo '" + sides.get(i).name() + "' answered other bytes than it was sent");
      }
    }
    System.out.printf("  1 MiB echo: %d rounds x %d calls per side after %d warm-up calls each%n", plan.echoRounds(),
        plan.echoCalls(), plan.echoWarmup());
    SideBySide echo = new SideBySide();
    for (Named side : sides) {
      echo.add(side.name(), side.side());
    }
    return echo.run(plan.echoWarmup(), plan.echoRounds(), plan.echoCalls(), System.out);
  }

  static String noopTable(List<SideBySide.Result> results) {
    TextTable table = new TextTable(List.of("side", "p50", "p99", "calls/s"));
    for (SideBySide.Result r : results) {
      table.row(r.name(), Latencies.micros(r.latencies().median()), Latencies.micros(r.latencies().percentile(99)),
          String.format(Locale.ROOT, "%,.0f", r.callsPerSecond()));
    }
    StringBuilder out = new StringBuilder(table.renderMarkdown());
    SideBySide.Result snakepit = results.getLast();
    for (SideBySide.Result r : results.subList(0, results.size() - 1)) {
      String label = r.name().equals("py4j") ? "Py4J" : r.name().equals("jep") ? "Jep" : r.name();
      out.append(String.format(Locale.ROOT, "%n%s / Snakepit: p50 %.2fx, p99 %.2fx.", label, Noop.ratio(r, snakepit, 50),
          Noop.ratio(r, snakepit, 99)));
    }
    return out.append('\n').toString();
  }

  static String threadsTable(List<Rate> rates) {
    TextTable table = new TextTable(List.of("side", "threads", "calls/s (median)", "each round"));
    for (Rate r : rates) {
      table.row(r.name(), Integer.toString(THREADS), String.format(Locale.ROOT, "%,.0f", r.median()),
          String.join(", ", Arrays.stream(r.rounds()).mapToObj(v -> String.format(Locale.ROOT, "%,.0f", v)).toList()));
    }
    return table.renderMarkdown();
  }

  static String echoTable(List<SideBySide.Result> results) {
    TextTable table = new TextTable(List.of("side", "median", "MB/s"));
    for (SideBySide.Result r : results) {
      long median = r.latencies().median();
      table.row(r.name(), Latencies.micros(median), String.format(Locale.ROOT, "%,.0f", ECHO_BYTES / (median / 1e9) / 1e6));
    }
    return table.renderMarkdown();
  }
}
