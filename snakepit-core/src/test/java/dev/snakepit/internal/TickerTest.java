package dev.snakepit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Time is injected: internal code reads the clock only through a {@link Ticker}, so tests can fake it. */
class TickerTest {
  private static final Path INTERNAL = Path.of("src/main/java/dev/snakepit/internal");
  private static final Pattern SYSTEM_CLOCK = Pattern.compile("System\\s*(\\.|::)\\s*(nanoTime|currentTimeMillis)\\b"
      + "|Instant\\s*\\.\\s*now\\s*\\(|Clock\\s*\\.\\s*system");

  @Test
  void noInternalCodeReadsTheSystemClockButTheSystemTicker() throws IOException {
    assertThat(INTERNAL).as("the internal sources, from the module's directory").isDirectory();
    List<String> readers;
    try (Stream<Path> files = Files.walk(INTERNAL)) {
      readers = files.filter(f -> f.toString().endsWith(".java") && !f.getFileName().toString().equals("Ticker.java"))
          .flatMap(TickerTest::clockReads).toList();
    }
    assertThat(readers).as("read the time from the Ticker the class was given").isEmpty();
  }

  @Test
  void theSystemTickerIsMonotonic() {
    long first = Ticker.SYSTEM.nanoTime();
    assertThat(Ticker.SYSTEM.nanoTime() - first).isNotNegative();
  }

  private static Stream<String> clockReads(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return java.util.stream.IntStream.range(0, lines.size())
          .filter(i -> SYSTEM_CLOCK.matcher(lines.get(i)).find())
          .mapToObj(i -> INTERNAL.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
