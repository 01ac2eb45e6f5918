package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The round-trip measurement, run in-process with tiny numbers against real Python processes. */
@ExtendWith(NoLeftoverProcesses.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RoundTripRunTest {
  @Test
  void measuresBothSidesAndStopsTheEchoServer() throws Exception {
    Set<Path> dirsBefore = roundTripDirectories();
    Captured captured = new Captured();

    RoundTripResult result = new RoundTripRun(TestPython.get(), 50, 2, 50, captured.terminal).run();

    assertThat(result.raw().count()).isEqualTo(100);
    assertThat(result.pool().count()).isEqualTo(100);
    assertThat(result.raw().median()).isPositive();
    assertThat(result.pool().median()).isPositive();
    assertThat(result.rawNanos()).isPositive();
    assertThat(result.poolNanos()).isPositive();
    assertThat(result.roundMedians()).hasSize(2);
    assertThat(result.ratio()).isPositive();
    assertThat(result.payloadBytes()).isBetween(30, 50);

    assertThat(result.leftovers()).isEmpty();
    assertThat(ProcessHandle.of(result.serverPid()).filter(ProcessHandle::isAlive)).isEmpty();
    assertThat(roundTripDirectories()).isSubsetOf(dirsBefore);
    assertThat(captured.out()).contains("round 1: median raw", "round 2: median raw");
  }

  @Test
  void printsTheTableThroughTheCommand() {
    Captured captured = new Captured();

    int status = new Main().run(List.of("roundtrip", "--calls", "20", "--rounds", "1", "--python", TestPython.command()),
        captured.terminal);

    assertThat(status).as(captured.err()).isZero();
    assertThat(captured.out())
        .contains("raw Unix-socket echo (37 B payload)", "pool.execute(\"ping\"), 1 worker", "median", "p99", "calls/s")
        .containsPattern("pool/raw ratio of the medians: \\d+\\.\\d\\dx \\(20 calls per side\\)");
  }

  private static Set<Path> roundTripDirectories() throws IOException {
    Set<Path> dirs = new java.util.HashSet<>();
    for (String base : new String[] {System.getProperty("java.io.tmpdir"), "/tmp"}) {
      try (Stream<Path> entries = Files.list(Path.of(base))) {
        dirs.addAll(entries.filter(p -> p.getFileName().toString().startsWith("snakepit-roundtrip-"))
            .collect(Collectors.toSet()));
      }
    }
    return dirs;
  }
}
