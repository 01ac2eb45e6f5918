package dev.snakepit.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The harness's command line: {@code --name value} pairs, each name from a known list. */
final class Options {
  private Options() {}

  static Map<String, String> parse(String[] args, List<String> known) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i].startsWith("--") ? args[i].substring(2) : null;
      if (name == null || !known.contains(name)) {
        throw new IllegalArgumentException("unknown option '" + args[i] + "'; known: --" + String.join(", --", known));
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option --" + name + " needs a value");
      }
      options.put(name, args[i + 1]);
    }
    return options;
  }

  static int integer(Map<String, String> options, String name, int fallback) {
    String text = options.get(name);
    if (text == null) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(text);
      if (value >= 1) {
        return value;
      }
    } catch (NumberFormatException e) {
      // Reported below with the rule.
    }
    throw new IllegalArgumentException("--" + name + " '" + text + "' is invalid; it must be a whole number of 1 or more");
  }
}
