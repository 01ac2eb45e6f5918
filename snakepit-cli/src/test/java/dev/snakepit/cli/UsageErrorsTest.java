package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The flag forms the command line accepts, and the one-line message for each kind of bad input. */
class UsageErrorsTest {
  private final Captured captured = new Captured();
  private final SampleCommand command = new SampleCommand();

  /** Runs {@code snakepit demo args}, expecting bad input: status 2, nothing run; returns the message's first line. */
  private String refused(String... args) {
    String[] line = new String[args.length + 1];
    line[0] = "demo";
    System.arraycopy(args, 0, line, 1, args.length);
    assertThat(command.run(captured, line)).as(captured.err()).isEqualTo(2);
    assertThat(command.ran).isFalse();
    assertThat(captured.err()).endsWith("Run 'snakepit help demo' for usage.\n");
    return captured.err().lines().findFirst().orElseThrow();
  }

  @Test
  void readsValuesGivenAsSeparateArgumentsOrAfterAnEqualsSign() {
    assertThat(command.run(captured, "demo", "--workers", "3", "--python=venv/bin/python3", "--no-kill")).isZero();

    assertThat(command.workers).isEqualTo(3);
    assertThat(command.python).isEqualTo("venv/bin/python3");
    assertThat(command.noKill).isTrue();
  }

  @Test
  void fallsBackToDefaultsForAbsentOptions() {
    assertThat(command.run(captured, "demo")).isZero();

    assertThat(command.workers).isEqualTo(4);
    assertThat(command.python).isEqualTo("python3");
    assertThat(command.noKill).isFalse();
    assertThat(command.ran).isTrue();
  }

  @Test
  void acceptsHelpInBothFormsPrintingTheUsageInsteadOfRunning() {
    assertThat(command.run(captured, "demo", "--help")).isZero();
    assertThat(command.run(captured, "demo", "-h")).isZero();

    assertThat(command.ran).isFalse();
    assertThat(captured.out().split("usage: snakepit demo \\[options]", -1)).hasSize(3);
  }

  @Test
  void rejectsAnUnknownOptionNamingItAndListingTheValidOnes() {
    assertThat(refused("--worker", "3"))
        .isEqualTo("snakepit demo: unknown option '--worker'; valid options: --workers N, --no-kill, --python CMD, --help");
  }

  @Test
  void rejectsAnUnknownOptionWithAnAttachedValueNamingTheOptionOnly() {
    assertThat(refused("--worker=3")).startsWith("snakepit demo: unknown option '--worker'; valid options: --workers N");
  }

  @Test
  void rejectsAPositionalArgumentWhenTheCommandTakesNone() {
    assertThat(refused("fast")).startsWith("snakepit demo: unexpected argument 'fast'; it takes only options: --workers N");
  }

  @Test
  void rejectsAMissingValue() {
    assertThat(refused("--workers")).isEqualTo("snakepit demo: option --workers needs a value (--workers N)");
  }

  @Test
  void rejectsAnOptionInPlaceOfAValue() {
    assertThat(refused("--workers", "--no-kill")).isEqualTo("snakepit demo: option --workers needs a value (--workers N)");
  }

  @Test
  void rejectsAValueOnAFlag() {
    assertThat(refused("--no-kill=yes")).isEqualTo("snakepit demo: option --no-kill takes no value, got '--no-kill=yes'");
  }

  @Test
  void rejectsAnOptionGivenTwice() {
    assertThat(refused("--workers", "2", "--workers=3")).isEqualTo("snakepit demo: option --workers is given twice");
  }

  @Test
  void rejectsABlankString() {
    assertThat(refused("--python=")).isEqualTo("snakepit demo: option --python must not be empty");
  }

  @Test
  void namesTheValidCommandsForAnUnknownOne() {
    assertThat(command.run(captured, "dmeo")).isEqualTo(2);

    assertThat(captured.err()).isEqualTo("""
        snakepit: unknown command 'dmeo'; valid commands: demo
        Run 'snakepit help' for usage.
        """);
  }

  @Test
  void takesOneOperandWhereTheCommandDeclaresIt() {
    int status = new Main().run(java.util.List.of("help", "demo", "more"), captured.terminal);

    assertThat(status).isEqualTo(2);
    assertThat(captured.err()).contains("snakepit help: unexpected argument 'more'; it takes one COMMAND and the options: --help");
  }
}
