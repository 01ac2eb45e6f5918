package dev.snakepit.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's own parts, without processes: its command line, its tables and its plots. */
class HarnessPartsTest {

  @Test
  void optionsAreParsedAndBadOnesNamedWithTheRule() {
    Map<String, String> options = Options.parse(new String[] {"--python", "py", "--quick", "true"}, List.of("python", "quick"));
    assertThat(options).containsEntry("python", "py").containsEntry("quick", "true");
    assertThatThrownBy(() -> Options.parse(new String[] {"--pyton", "py"}, List.of("python")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option '--pyton'; known: --python");
    assertThatThrownBy(() -> Options.parse(new String[] {"--python"}, List.of("python")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--python needs a value");
    assertThatThrownBy(() -> Options.integer(Map.of("rounds", "0"), "rounds", 5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--rounds '0' is invalid");
    assertThat(Options.integer(Map.of(), "rounds", 5)).isEqualTo(5);
  }

  @Test
  void throughputTablesAndScalingReadTheCells() {
    List<Throughput.Cell> cells = List.of(
        new Throughput.Cell("cpu", 1, 1, 100), new Throughput.Cell("cpu", 1, 2, 110),
        new Throughput.Cell("cpu", 2, 1, 100), new Throughput.Cell("cpu", 2, 2, 187),
        new Throughput.Cell("cpu", 4, 4, 200));
    assertThat(Throughput.best(cells, "cpu", 1)).isEqualTo(110);
    assertThat(Throughput.scaling(cells, "cpu")).isEqualTo("2 workers: 0.85 of 2 x one worker. 4 workers: 0.45 of 4 x one worker.");
    assertThat(Throughput.table(cells, "cpu")).contains("| 2 | 100 | 187 |");
  }

  @Test
  void payloadSizesAreNamedInBinaryUnits() {
    assertThat(Payloads.size(100)).isEqualTo("100 B");
    assertThat(Payloads.size(10 << 10)).isEqualTo("10 KiB");
    assertThat(Payloads.size(64 << 20)).isEqualTo("64 MiB");
    assertThat(Payloads.json(64 * 10)).hasSize(10);
  }

  @Test
  void plotsAreWrittenAsPngImages(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("plot.png");
    Plots.lines(file, "title", "x", "y", true, List.of(
        new Plots.Series("a", new double[] {10, 100, 1000}, new double[] {1, 50, 99}),
        new Plots.Series("b", new double[] {20, 200, 2000}, new double[] {1, 50, 99})));

    BufferedImage image = ImageIO.read(file.toFile());
    assertThat(image.getWidth()).isEqualTo(900);
    assertThat(image.getHeight()).isEqualTo(520);
    assertThat(Files.size(file)).isGreaterThan(1000);
  }
}
