package dev.snakepit.bench;

import dev.snakepit.Snakepit;
import dev.snakepit.cli.EchoClient;
import dev.snakepit.cli.EchoServer;
import dev.snakepit.cli.Latencies;
import dev.snakepit.cli.SideBySide;
import dev.snakepit.cli.TextTable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A no-op call, sequential from one thread, four ways side by side: the floor (a bare framed echo
 * between a Java client and a Python server on a Unix socket, no library code), the floor with its
 * replies read by a thread of their own as a pool reads them ({@link ThreadedEchoClient}), Snakepit
 * ({@code pool.execute("ping")} on one worker), and gRPC (grpc-java to grpcio on the loopback).
 */
final class Noop {
  /** About the size of a small JSON call, as the pool's own request body would be. */
  static final byte[] PAYLOAD = "{\"tool\":\"ping\",\"args\":[],\"kwargs\":{}}".getBytes(StandardCharsets.UTF_8);

  private Noop() {}

  static List<SideBySide.Result> run(BenchPython python, int warmup, int rounds, int calls) throws Exception {
    System.out.printf("  %d rounds x %d calls per side after %d warm-up calls each%n", rounds, calls, warmup);
    try (EchoServer echo = EchoServer.start(python.python());
        EchoClient floor = new EchoClient(echo.socket(), PAYLOAD);
        EchoServer threadedEcho = EchoServer.start(python.python());
        ThreadedEchoClient threaded = new ThreadedEchoClient(threadedEcho.socket(), PAYLOAD);
        Snakepit pool = Snakepit.start(python.pool("noop", 1).build());
        GrpcNoop grpc = GrpcNoop.start(python.python(), PAYLOAD)) {
      Map<String, Object> none = Map.of();
      return new SideBySide()
          .add("floor", floor::roundTrip)
          .add("floor+thread", threaded::roundTrip)
          .add("snakepit", () -> pool.execute("ping", none))
          .add("grpc", grpc::call)
          .run(warmup, rounds, calls, System.out);
    }
  }

  /** p50, p99 and calls/s per side, and the ratios the targets name. */
  static String table(List<SideBySide.Result> results) {
    TextTable sides = new TextTable(List.of("side", "p50", "p99", "p99.9", "calls/s"));
    for (SideBySide.Result r : results) {
      sides.row(r.name(), Latencies.micros(r.latencies().median()), Latencies.micros(r.latencies().percentile(99)),
          Latencies.micros(r.latencies().percentile(99.9)), String.format(Locale.ROOT, "%,.0f", r.callsPerSecond()));
    }
    StringBuilder table = new StringBuilder(sides.renderMarkdown());
    SideBySide.Result floor = results.get(0);
    SideBySide.Result threaded = results.get(1);
    SideBySide.Result snakepit = results.get(2);
    SideBySide.Result grpc = results.get(3);
    table.append(String.format(Locale.ROOT, "%nSnakepit / floor: p50 %.2fx, p99 %.2fx. Snakepit / floor+thread: p50 %.2fx, p99 %.2fx. "
        + "gRPC / Snakepit: p50 %.1fx, p99 %.1fx.%n", ratio(snakepit, floor, 50), ratio(snakepit, floor, 99), ratio(snakepit, threaded, 50),
        ratio(snakepit, threaded, 99), ratio(grpc, snakepit, 50), ratio(grpc, snakepit, 99)));
    return table.toString();
  }

  static double ratio(SideBySide.Result a, SideBySide.Result b, double percentile) {
    return (double) a.latencies().percentile(percentile) / b.latencies().percentile(percentile);
  }

  /** The latency distribution of each side, as percentile (y) against microseconds (x). */
  static List<Plots.Series> distribution(List<SideBySide.Result> results) {
    double[] percentiles = new double[199];
    for (int i = 0; i < 198; i++) {
      percentiles[i] = 0.5 * (i + 1);
    }
    percentiles[198] = 99.9;
    List<Plots.Series> series = new ArrayList<>();
    for (SideBySide.Result r : results) {
      double[] xs = new double[percentiles.length];
      for (int i = 0; i < percentiles.length; i++) {
        xs[i] = r.latencies().percentile(percentiles[i]) / 1000.0;
      }
      series.add(new Plots.Series(r.name(), xs, percentiles.clone()));
    }
    return series;
  }
}
