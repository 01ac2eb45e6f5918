package dev.snakepit.cli;

import dev.snakepit.SnakepitException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code snakepit roundtrip}: what a pool call costs next to the cheapest framed Java-to-Python round
 * trip on a Unix socket, measured in one run on one interpreter. See {@link RoundTripRun}.
 */
@Command(name = "roundtrip", description = "measure a pool call against a raw framed Unix-socket echo between Java and Python")
final class RoundTripCommand implements Callable<Integer> {
  @Option(names = "--calls", paramLabel = "N", defaultValue = "2000", description = "sequential calls per round and side")
  @Range(min = 1, max = 1_000_000)
  int calls;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5", description = "rounds, alternating the sides")
  @Range(min = 1, max = 100)
  int rounds;

  /** The default is enough calls for the JIT to compile the pool's whole call path before anything is timed. */
  @Option(names = "--warmup", paramLabel = "N", defaultValue = "20000", description = "untimed calls per side before the rounds")
  @Range(min = 0, max = 1_000_000)
  int warmup;

  @Mixin
  PythonOption python;

  private final Terminal terminal;

  RoundTripCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    PythonCommand python = this.python.resolve();
    RoundTripResult result;
    try {
      result = new RoundTripRun(python, calls, rounds, warmup, terminal).run();
    } catch (IOException | SnakepitException e) {
      terminal.err().println("roundtrip FAILED: " + e.getMessage());
      return Main.FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      terminal.err().println("roundtrip interrupted");
      return Main.FAILED;
    }
    terminal.out().print(render(result));
    if (!result.leftovers().isEmpty()) {
      terminal.err().println("roundtrip FAILED: processes it started are still alive: pids " + result.leftovers());
      return Main.FAILED;
    }
    return Main.OK;
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
