package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
  private final Captured captured = new Captured();

  private int run(String... args) {
    return new Main().run(List.of(args), captured.terminal);
  }

  @Test
  void printsTheCommandListWithoutArguments() {
    assertThat(run()).isZero();

    assertThat(captured.out()).startsWith("usage: snakepit <command> [options]")
        .contains("  demo ", "  test ", "  chaos ", "  bench ", "  roundtrip ", "  crash-test ", "  help ", "  version ")
        .doesNotContain("crash-target");
  }

  @Test
  void printsTheSameListForHelp() {
    assertThat(run("help")).isZero();
    assertThat(run("--help")).isZero();

    assertThat(captured.out()).contains("commands:");
  }

  @Test
  void printsACommandsOptionsForHelpWithItsNameOrForItsHelpOption() {
    assertThat(run("help", "demo")).isZero();
    assertThat(run("roundtrip", "--help")).isZero();

    assertThat(captured.out())
        .contains("usage: snakepit demo [options]", "--workers N", "--no-kill", "--python CMD")
        .contains("usage: snakepit roundtrip [options]", "--rounds N");
  }

  @Test
  void rejectsAnUnknownCommandWithStatus2ListingTheValidOnes() {
    assertThat(run("dmeo")).isEqualTo(2);

    assertThat(captured.err()).isEqualTo("""
        snakepit: unknown command 'dmeo'; valid commands: demo, serve, call, tools, roundtrip, crash-test, test, chaos, bench, doctor, completion, help, version
        Run 'snakepit help' for usage.
        """);
  }

  @Test
  void rejectsHelpForAnUnknownCommand() {
    assertThat(run("help", "nope")).isEqualTo(2);

    assertThat(captured.err()).contains("unknown command 'nope'");
  }

  @Test
  void pointsTestToTheLauncherScript() {
    assertThat(run("test")).isEqualTo(2);

    assertThat(captured.err()).contains("./snakepit launcher script", "./snakepit test");
  }

  @Test
  void pointsChaosToTheLauncherScript() {
    assertThat(run("chaos", "--ci")).isEqualTo(2);

    assertThat(captured.err()).contains("./snakepit launcher script", "./snakepit chaos");
  }

  @Test
  void rejectsABadOptionWithStatus2AndPointsToTheCommandsHelp() {
    assertThat(run("demo", "--workers", "0")).isEqualTo(2);

    assertThat(captured.err()).isEqualTo("""
        snakepit demo: --workers '0' is out of range; it must be a whole number from 1 to 64
        Run 'snakepit help demo' for usage.
        """);
  }

  @Test
  void rejectsAnInterpreterThatCannotRunNamingIt() {
    assertThat(run("demo", "--python", "no-such-python-here")).isEqualTo(2);
    assertThat(run("roundtrip", "--python", "false")).isEqualTo(2);

    assertThat(captured.err())
        .contains("snakepit demo: --python 'no-such-python-here' cannot be run")
        .contains("snakepit roundtrip: --python 'false' is not a working Python interpreter");
  }

  @Test
  void printsTheVersion() {
    assertThat(run("version")).isZero();

    assertThat(captured.out()).startsWith("snakepit ").contains("java " + Runtime.version());
  }
}
