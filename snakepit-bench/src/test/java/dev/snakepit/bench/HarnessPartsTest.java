package dev.snakepit.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The harness's own parts, without processes: its command line, its tables and its plots. */
class HarnessPartsTest {

  @Test
  void optionsAreParsedAndBadOnesNamedWithTheRule() {
    Bench bench = new Bench();
    Bench.commandLine(bench).parseArgs("--python", "py", "--quick", "true");
    assertThat(bench.pythonCommand).isEqualTo("py");
    assertThat(bench.quick).isTrue();
    assertThat(bench.sections()).isEqualTo(Bench.SECTIONS);

    assertThat(refused("--pyton", "py")).contains("unknown option '--pyton'; known: --python");
    assertThat(refused("--python")).contains("--python needs a value");
  }

  @Test
  void quickMayStandAloneAndALaterOptionWinsSoTheLaunchersPythonCanBeOverridden() {
    Bench bench = new Bench();
    Bench.commandLine(bench).parseArgs("--python", "from-launcher", "--quick", "--python", "mine", "--out", "target/x");

    assertThat(bench.quick).isTrue();
    assertThat(bench.pythonCommand).isEqualTo("mine");
    assertThat(bench.out).isEqualTo(Path.of("target/x"));
  }

  @Test
  void onlyNamesSectionsAndAnUnknownOneIsRefusedListingThem() {
    Bench bench = new Bench();
    Bench.commandLine(bench).parseArgs("--only", "startup,payloads");
    assertThat(bench.sections()).containsExactly("startup", "payloads");

    assertThat(refused("--only", "noop,nope"))
        .contains("--only: unknown section 'nope'; sections: noop, jmh, throughput, payloads, arrays, records, batch, references, concurrency, startup");
  }

  /** Runs the harness on {@code args}, which must be refused before anything is measured: status 1; returns what it printed. */
  private static String refused(String... args) {
    StringWriter err = new StringWriter();
    CommandLine command = Bench.commandLine(new Bench());
    command.setErr(new PrintWriter(err, true));

    assertThat(command.execute(args)).isEqualTo(1);
    return err.toString();
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
