package dev.snakepit.cli;

import dev.snakepit.SnakepitException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * {@code snakepit roundtrip}: what a pool call costs next to the cheapest framed Java-to-Python round
 * trip on a Unix socket, measured in one run on one interpreter. See {@link RoundTripRun}.
 */
final class RoundTripCommand implements Command {
  static final int DEFAULT_CALLS = 2_000;
  static final int DEFAULT_ROUNDS = 5;
  /** Enough calls for the JIT to compile the pool's whole call path before anything is timed. */
  static final int DEFAULT_WARMUP = 20_000;

  @Override
  public String name() {
    return "roundtrip";
  }

  @Override
  public String summary() {
    return "measure a pool call against a raw framed Unix-socket echo between Java and Python";
  }

  @Override
  public List<Option> options() {
    return List.of(
        Option.withValue("calls", "N", "sequential calls per round and side, 1 to 1000000 (default " + DEFAULT_CALLS + ")"),
        Option.withValue("rounds", "N", "rounds, alternating the sides, 1 to 100 (default " + DEFAULT_ROUNDS + ")"),
        Option.withValue("warmup", "N", "untimed calls per side before the rounds, 0 to 1000000 (default " + DEFAULT_WARMUP + ")"),
        Option.withValue("python", "CMD", "the Python interpreter, 3.9 or newer (default $SNAKEPIT_PYTHON or python3)"));
  }

  @Override
  public int run(Options options, Terminal terminal) {
    int calls = options.integer("calls", DEFAULT_CALLS, 1, 1_000_000);
    int rounds = options.integer("rounds", DEFAULT_ROUNDS, 1, 100);
    int warmup = options.integer("warmup", DEFAULT_WARMUP, 0, 1_000_000);
    PythonCommand python = DemoCommand.resolve(name(), options.string("python", PythonCommand.defaultCommand()));
    RoundTripResult result;
    try {
      result = new RoundTripRun(python, calls, rounds, warmup, terminal).run();
    } catch (IOException | SnakepitException e) {
      terminal.err().println("roundtrip FAILED: " + e.getMessage());
      return FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      terminal.err().println("roundtrip interrupted");
      return FAILED;
    }
    terminal.out().print(render(result));
    if (!result.leftovers().isEmpty()) {
      terminal.err().println("roundtrip FAILED: processes it started are still alive: pids " + result.leftovers());
      return FAILED;
    }
    return OK;
  }

  static String render(RoundTripResult r) {
    TextTable table = new TextTable(List.of("side", "median", "p99", "calls/s"), 1, 2, 3);
    table.row("raw Unix-socket echo (" + r.payloadBytes() + " B payload)", Latencies.micros(r.raw().median()),
        Latencies.micros(r.raw().percentile(99)), perSecond(r.raw().count(), r.rawNanos()));
    table.row("pool.execute(\"ping\"), 1 worker", Latencies.micros(r.pool().median()),
        Latencies.micros(r.pool().percentile(99)), perSecond(r.pool().count(), r.poolNanos()));
    return "\n" + table.render(2) + String.format(Locale.ROOT, "%n  pool/raw ratio of the medians: %.2fx (%d calls per side)%n",
        r.ratio(), r.raw().count());
  }

  private static String perSecond(long count, long nanos) {
    return nanos <= 0 ? "n/a" : String.format(Locale.ROOT, "%,.0f", count * 1e9 / nanos);
  }
}
