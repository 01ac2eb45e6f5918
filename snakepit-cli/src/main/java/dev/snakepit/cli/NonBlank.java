package dev.snakepit.cli;

import picocli.CommandLine.ITypeConverter;

/** Refuses an empty or blank value, such as {@code --python=}, for an option that names something. */
final class NonBlank implements ITypeConverter<String> {
  @Override
  public String convert(String text) {
    if (text.isBlank()) {
      throw UsageErrors.BadValue.ofOption("must not be empty");
    }
    return text;
  }
}
