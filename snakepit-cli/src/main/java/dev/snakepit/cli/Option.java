package dev.snakepit.cli;

/**
 * One option a command accepts.
 *
 * @param name the long name without dashes, such as {@code workers}
 * @param valueName what the value is, such as {@code N}, or {@code null} for a flag without a value
 * @param help one line saying what the option does and its default
 */
record Option(String name, String valueName, String help) {
  /** An option that takes a value: {@code --name VALUE} or {@code --name=VALUE}. */
  static Option withValue(String name, String valueName, String help) {
    return new Option(name, valueName, help);
  }

  /** An option without a value. */
  static Option flag(String name, String help) {
    return new Option(name, null, help);
  }

  boolean takesValue() {
    return valueName != null;
  }

  /** How the option is written in usage text, such as {@code --workers N}. */
  String synopsis() {
    return "--" + name + (takesValue() ? " " + valueName : "");
  }
}
