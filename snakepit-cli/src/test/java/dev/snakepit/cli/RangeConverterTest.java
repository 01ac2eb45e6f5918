package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Whole-number options: the range on the field is enforced, named in the message, and shown in the help. */
class RangeConverterTest {
  private final Captured captured = new Captured();
  private final SampleCommand command = new SampleCommand();

  /** The first line of what {@code --workers value} gets, a usage error. */
  private String refusedWorkers(String value) {
    Captured refusal = new Captured();
    assertThat(command.run(refusal, "demo", "--workers", value)).isEqualTo(2);
    return refusal.err().lines().findFirst().orElseThrow();
  }

  @Test
  void rejectsIntegersThatAreMalformedOrOutOfRangeNamingTheRange() {
    assertThat(refusedWorkers("many"))
        .isEqualTo("snakepit demo: --workers 'many' is not a whole number; it must be a whole number from 1 to 64");
    assertThat(refusedWorkers("0"))
        .isEqualTo("snakepit demo: --workers '0' is out of range; it must be a whole number from 1 to 64");
    assertThat(refusedWorkers("-3")).contains("'-3' is out of range");
    assertThat(refusedWorkers("99999999999")).contains("'99999999999' is out of range");
    assertThat(command.ran).isFalse();
  }

  @Test
  void acceptsTheBoundsThemselves() {
    assertThat(command.run(captured, "demo", "--workers", "64")).isZero();
    assertThat(command.workers).isEqualTo(64);
    assertThat(command.run(captured, "demo", "--workers=1")).isZero();
    assertThat(command.workers).isEqualTo(1);
  }

  @Test
  void acceptsUnderscoresAsDigitSeparators() {
    assertThat(command.run(captured, "demo", "--workers", "1_0")).isZero();

    assertThat(command.workers).isEqualTo(10);
  }

  @Test
  void theHelpListsTheOptionsAlignedWithTheRangeAndTheDefault() {
    assertThat(command.run(captured, "demo", "--help")).isZero();

    assertThat(captured.out()).endsWith("""
        options:
              --workers N    workers, 1 to 64 (default 4)
              --no-kill      no kill
              --python CMD   python
          -h, --help         print this command's usage and exit
        """);
  }
}
