package dev.snakepit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.cli.Latencies;
import dev.snakepit.cli.SideBySide;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Markdown tables of OUT/latest.md, line for line, so that a change of how they are built shows. */
class ReportTablesTest {
  @Test
  void noOpSidesAndTheirRatios() {
    List<SideBySide.Result> results = List.of(side("floor", 20_000), side("floor+thread", 30_000), side("snakepit", 90_000),
        side("grpc", 630_000));

    assertThat(Noop.table(results)).isEqualTo("""
        | side | p50 | p99 | p99.9 | calls/s |
        |---|---|---|---|---|
        | floor | 20.0 us | 20.0 us | 20.0 us | 50,000 |
        | floor+thread | 30.0 us | 30.0 us | 30.0 us | 33,333 |
        | snakepit | 90.0 us | 90.0 us | 90.0 us | 11,111 |
        | grpc | 630.0 us | 630.0 us | 630.0 us | 1,587 |

        Snakepit / floor: p50 4.50x, p99 4.50x. Snakepit / floor+thread: p50 3.00x, p99 3.00x. gRPC / Snakepit: p50 7.0x, p99 7.0x.
        """);
  }

  @Test
  void throughputHasAColumnPerCallerCount() {
    List<Throughput.Cell> cells = new ArrayList<>();
    for (int workers : Throughput.WORKERS) {
      for (int callers : Throughput.CALLERS) {
        cells.add(new Throughput.Cell("cpu", workers, callers, 1000.0 * workers + callers));
      }
    }

    assertThat(Throughput.table(cells, "cpu")).isEqualTo("""
        | workers | 1 caller | 2 callers | 4 callers | 8 callers | 16 callers |
        |---|---|---|---|---|---|
        | 1 | 1,001 | 1,002 | 1,004 | 1,008 | 1,016 |
        | 2 | 2,001 | 2,002 | 2,004 | 2,008 | 2,016 |
        | 4 | 4,001 | 4,002 | 4,004 | 4,008 | 4,016 |
        """);
  }

  @Test
  void payloadsEachWay() {
    assertThat(Payloads.table(List.of(new Payloads.Row("bytes", 100, 12.34, 5678.9), new Payloads.Row("json", 64 << 20, 2500, 3100))))
        .isEqualTo("""
            | payload | size | Java to Python | Python to Java |
            |---|---|---|---|
            | bytes | 100 B | 12.3 MB/s | 5,678.9 MB/s |
            | json | 64 MiB | 2,500.0 MB/s | 3,100.0 MB/s |
            """);
  }

  @Test
  void startUpFiguresWithEveryRun() {
    assertThat(StartupAndRecovery.table(List.of(new StartupAndRecovery.Figure("pool of 4 ready", 412.4, new double[] {400.2, 412.4, 455}))))
        .isEqualTo("""
            | what | median | runs |
            |---|---|---|
            | pool of 4 ready | 412 ms | 400, 412, 455 ms |
            """);
  }

  @Test
  void memoryFiguresCompareEveryPoolWithOneWorkerWithoutPreloading() {
    long mib = 1 << 20;
    String table = PreloadMemory.table(List.of(new PreloadMemory.Measured(1, false, 220 * mib, 200 * mib),
        new PreloadMemory.Measured(8, false, 1720 * mib, 200 * mib), new PreloadMemory.Measured(1, true, 230 * mib, 200 * mib),
        new PreloadMemory.Measured(8, true, 286 * mib, 200 * mib)));

    assertThat(table).startsWith("""
        | pool | preloading | preload() loads | PSS of the pool's processes | per worker |
        |---|---|---|---|---|
        | 1 worker | off | 200 MiB each | 220 MiB | 220 MiB |
        | 8 workers | off | 200 MiB each | 1720 MiB | 215 MiB |
        | 1 worker | on (template included) | 200 MiB each | 230 MiB | 230 MiB |
        | 8 workers | on (template included) | 200 MiB each | 286 MiB | 36 MiB |
        """)
        .contains("8 workers without preloading hold 7.82 times the PSS of one worker without preloading")
        .contains("8 workers forked from a template hold 1.30 times the PSS of one worker without preloading");
  }

  /** A side whose every call took {@code nanos}, over 100 calls. */
  private static SideBySide.Result side(String name, long nanos) {
    long[] samples = new long[100];
    java.util.Arrays.fill(samples, nanos);
    return new SideBySide.Result(name, Latencies.of(samples, samples.length), nanos * samples.length, new long[] {nanos});
  }
}
