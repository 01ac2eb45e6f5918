package dev.snakepit.cli;

import java.lang.reflect.Field;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Reads a whole number within a {@link Range}. Surrounding blanks and {@code _} digit separators are
 * allowed ({@code 10_000}); a value outside the range is refused with the range in the message, even
 * one too large for an {@code int}.
 */
final class RangeConverter implements ITypeConverter<Integer> {
  private final Range range;

  private RangeConverter(Range range) {
    this.range = range;
  }

  @Override
  public Integer convert(String text) {
    long value;
    try {
      value = Long.parseLong(text.strip().replace("_", ""));
    } catch (NumberFormatException e) {
      throw UsageErrors.BadValue.of("is not a whole number; " + rule());
    }
    if (value < range.min() || value > range.max()) {
      throw UsageErrors.BadValue.of("is out of range; " + rule());
    }
    return (int) value;
  }

  private String rule() {
    return "it must be a whole number from " + range.min() + " to " + range.max();
  }

  /**
   * Gives every option of {@code command} whose field has a {@link Range} this converter, and ends its
   * help with the range and the default, so that both are declared once, on the field. picocli's
   * options are immutable, so each such option is rebuilt; all are re-added in their order.
   */
  static void apply(CommandSpec command) {
    List<OptionSpec> options = List.copyOf(command.options());
    options.forEach(command::remove);
    for (OptionSpec option : options) {
      Range range = option.userObject() instanceof Field field ? field.getAnnotation(Range.class) : null;
      command.addOption(range == null ? option : OptionSpec.builder(option)
          .converters(new RangeConverter(range))
          .description(String.join(" ", option.description()) + ", " + range.min() + " to " + range.max()
              + " (default " + option.defaultValue() + ")")
          .build());
    }
  }
}
