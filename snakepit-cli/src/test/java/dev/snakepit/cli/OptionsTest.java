package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsTest {
  private static final List<Option> DECLARED = List.of(
      Option.withValue("workers", "N", "workers"),
      Option.flag("no-kill", "no kill"),
      Option.withValue("python", "CMD", "python"));

  private static Options parse(String... args) {
    return Options.parse("demo", DECLARED, null, List.of(args));
  }

  @Test
  void readsValuesGivenAsSeparateArgumentsOrAfterAnEqualsSign() {
    Options options = parse("--workers", "3", "--python=venv/bin/python3", "--no-kill");

    assertThat(options.integer("workers", 4, 1, 64)).isEqualTo(3);
    assertThat(options.string("python", "python3")).isEqualTo("venv/bin/python3");
    assertThat(options.has("no-kill")).isTrue();
  }

  @Test
  void fallsBackToDefaultsForAbsentOptions() {
    Options options = parse();

    assertThat(options.integer("workers", 4, 1, 64)).isEqualTo(4);
    assertThat(options.string("python", "python3")).isEqualTo("python3");
    assertThat(options.has("no-kill")).isFalse();
    assertThat(options.has("help")).isFalse();
  }

  @Test
  void acceptsHelpInBothForms() {
    assertThat(parse("--help").has("help")).isTrue();
    assertThat(parse("-h").has("help")).isTrue();
  }

  @Test
  void rejectsAnUnknownOptionNamingItAndListingTheValidOnes() {
    assertThatThrownBy(() -> parse("--worker", "3"))
        .isInstanceOf(UsageException.class)
        .hasMessage("snakepit demo: unknown option '--worker'; valid options: --workers N, --no-kill, --python CMD, --help");
  }

  @Test
  void rejectsAPositionalArgumentWhenTheCommandTakesNone() {
    assertThatThrownBy(() -> parse("fast"))
        .isInstanceOf(UsageException.class)
        .hasMessageStartingWith("snakepit demo: unexpected argument 'fast'; it takes only options: --workers N");
  }

  @Test
  void acceptsOneOperandWhenTheCommandDeclaresIt() {
    Options options = Options.parse("help", List.of(), "COMMAND", List.of("demo"));

    assertThat(options.operand()).isEqualTo("demo");
    assertThatThrownBy(() -> Options.parse("help", List.of(), "COMMAND", List.of("demo", "more")))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unexpected argument 'more'; it takes one COMMAND");
  }

  @Test
  void rejectsAMissingValue() {
    assertThatThrownBy(() -> parse("--workers"))
        .hasMessage("snakepit demo: option --workers needs a value (--workers N)");
    assertThatThrownBy(() -> parse("--workers", "--no-kill"))
        .hasMessage("snakepit demo: option --workers needs a value (--workers N)");
  }

  @Test
  void rejectsAValueOnAFlag() {
    assertThatThrownBy(() -> parse("--no-kill=yes"))
        .hasMessage("snakepit demo: option --no-kill takes no value, got '--no-kill=yes'");
  }

  @Test
  void rejectsAnOptionGivenTwice() {
    assertThatThrownBy(() -> parse("--workers", "2", "--workers=3"))
        .hasMessage("snakepit demo: option --workers is given twice");
  }

  @Test
  void rejectsIntegersThatAreMalformedOrOutOfRangeNamingTheRange() {
    assertThatThrownBy(() -> parse("--workers", "many").integer("workers", 4, 1, 64))
        .hasMessage("snakepit demo: --workers 'many' is not a whole number; it must be a whole number from 1 to 64");
    assertThatThrownBy(() -> parse("--workers", "0").integer("workers", 4, 1, 64))
        .hasMessage("snakepit demo: --workers '0' is out of range; it must be a whole number from 1 to 64");
    assertThatThrownBy(() -> parse("--workers", "-3").integer("workers", 4, 1, 64))
        .hasMessageContaining("'-3' is out of range");
    assertThatThrownBy(() -> parse("--workers", "99999999999").integer("workers", 4, 1, 64))
        .hasMessageContaining("'99999999999' is out of range");
  }

  @Test
  void acceptsUnderscoresAsDigitSeparators() {
    assertThat(parse("--workers", "1_0").integer("workers", 4, 1, 64)).isEqualTo(10);
  }

  @Test
  void rejectsABlankString() {
    assertThatThrownBy(() -> parse("--python=").string("python", "python3"))
        .hasMessage("snakepit demo: option --python must not be empty");
  }

  @Test
  void describesTheOptionsAligned() {
    assertThat(parse().describe()).isEqualTo("""
          --workers N   workers
          --no-kill     no kill
          --python CMD  python
          --help        print this command's usage and exit
        """);
  }
}
