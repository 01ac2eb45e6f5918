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
        .contains("  test ", "  help ", "  version ");
  }

  @Test
  void printsTheSameListForHelp() {
    assertThat(run("help")).isZero();
    assertThat(run("--help")).isZero();

    assertThat(captured.out()).contains("commands:");
  }

  @Test
  void rejectsAnUnknownCommandWithStatus2ListingTheValidOnes() {
    assertThat(run("dmeo")).isEqualTo(2);

    assertThat(captured.err()).isEqualTo("""
        snakepit: unknown command 'dmeo'; valid commands: test, help, version
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
  void printsACommandsOptionsForHelpWithItsNameOrForItsHelpOption() {
    assertThat(run("help", "version")).isZero();
    assertThat(run("version", "--help")).isZero();

    assertThat(captured.out()).contains("usage: snakepit version [options]", "--help");
  }

  @Test
  void rejectsABadOptionWithStatus2AndPointsToTheCommandsHelp() {
    assertThat(run("version", "--verbose")).isEqualTo(2);

    assertThat(captured.err()).isEqualTo("""
        snakepit version: unknown option '--verbose'; valid options: --help
        Run 'snakepit help version' for usage.
        """);
  }

  @Test
  void printsTheVersion() {
    assertThat(run("version")).isZero();

    assertThat(captured.out()).startsWith("snakepit ").contains("java " + Runtime.version());
  }
}
