package dev.snakepit.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The options given to one command, parsed against the options it declares. Accepted forms are
 * {@code --name value}, {@code --name=value} and {@code --flag}; {@code -h} means {@code --help}.
 * Anything else (an unknown option, a positional argument, a missing value, an option given twice)
 * is a {@link UsageException} whose message names the bad input and lists the valid options.
 *
 * <p>Typed getters validate values the same way, so every command reports bad input alike.
 */
final class Options {
  /** Every command accepts it; {@link Main} answers it before the command runs. */
  static final Option HELP = Option.flag("help", "print this command's usage and exit");

  private final String command;
  private final List<Option> declared;
  private final Map<String, String> given;
  private final String operand;

  private Options(String command, List<Option> declared, Map<String, String> given, String operand) {
    this.command = command;
    this.declared = declared;
    this.given = given;
    this.operand = operand;
  }

  /**
   * Parses {@code args} for {@code command}, which declares {@code options} ({@link #HELP} is added) and
   * at most one positional argument, {@code operandName}, or none when that is {@code null}.
   *
   * @throws UsageException if the arguments do not fit the declared options
   */
  static Options parse(String command, List<Option> options, String operandName, List<String> args) {
    List<Option> declared = new ArrayList<>(options);
    declared.add(HELP);
    Map<String, String> given = new LinkedHashMap<>();
    String operand = null;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("-h")) {
        arg = "--help";
      }
      if (!arg.startsWith("-") && operandName != null && operand == null) {
        operand = arg;
        continue;
      }
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new UsageException(command, "snakepit " + command + ": unexpected argument '" + arg + "'; "
            + (operandName == null ? "it takes only options: " : "it takes one " + operandName + " and the options: ")
            + synopses(declared));
      }
      int eq = arg.indexOf('=');
      String name = arg.substring(2, eq < 0 ? arg.length() : eq);
      Option option = declared.stream().filter(o -> o.name().equals(name)).findFirst()
          .orElseThrow(() -> new UsageException(command, "snakepit " + command + ": unknown option '--" + name + "'; valid options: "
              + synopses(declared)));
      String value;
      if (!option.takesValue()) {
        if (eq >= 0) {
          throw new UsageException(command, "snakepit " + command + ": option --" + name + " takes no value, got '" + arg + "'");
        }
        value = "";
      } else if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else {
        throw new UsageException(command, "snakepit " + command + ": option --" + name + " needs a value (" + option.synopsis() + ")");
      }
      if (given.putIfAbsent(name, value) != null) {
        throw new UsageException(command, "snakepit " + command + ": option --" + name + " is given twice");
      }
    }
    return new Options(command, declared, given, operand);
  }

  /** The positional argument, or {@code null} when none was given. */
  String operand() {
    return operand;
  }

  /** Whether the flag or option was given. */
  boolean has(String name) {
    return given.containsKey(declaredName(name));
  }

  /**
   * The option's value as an integer in {@code [min, max]}, or {@code fallback} when absent.
   *
   * @throws UsageException if the value is not a whole number in range
   */
  int integer(String name, int fallback, int min, int max) {
    String raw = given.get(declaredName(name));
    if (raw == null) {
      return fallback;
    }
    long value;
    try {
      value = Long.parseLong(raw.strip().replace("_", ""));
    } catch (NumberFormatException e) {
      throw outOfRange(name, raw, "is not a whole number", min, max);
    }
    if (value < min || value > max) {
      throw outOfRange(name, raw, "is out of range", min, max);
    }
    return (int) value;
  }

  /**
   * The option's value, or {@code fallback} when absent.
   *
   * @throws UsageException if the value given is blank
   */
  String string(String name, String fallback) {
    String raw = given.get(declaredName(name));
    if (raw == null) {
      return fallback;
    }
    if (raw.isBlank()) {
      throw new UsageException(command, "snakepit " + command + ": option --" + name + " must not be empty");
    }
    return raw;
  }

  /** The usage lines of the declared options, aligned. */
  String describe() {
    int width = declared.stream().mapToInt(o -> o.synopsis().length()).max().orElse(0);
    StringBuilder out = new StringBuilder();
    for (Option o : declared) {
      out.append("  ").append(String.format("%-" + width + "s", o.synopsis())).append("  ").append(o.help()).append('\n');
    }
    return out.toString();
  }

  private UsageException outOfRange(String name, String raw, String problem, int min, int max) {
    return new UsageException(command, "snakepit " + command + ": --" + name + " '" + raw + "' " + problem + "; it must be a whole number from "
        + min + " to " + max);
  }

  private String declaredName(String name) {
    if (declared.stream().noneMatch(o -> o.name().equals(name))) {
      // A programming error in a command, not a user error.
      throw new IllegalArgumentException(command + " does not declare option --" + name);
    }
    return name;
  }

  private static String synopses(List<Option> options) {
    return options.stream().map(Option::synopsis).collect(Collectors.joining(", "));
  }
}
