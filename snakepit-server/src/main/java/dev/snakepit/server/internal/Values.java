package dev.snakepit.server.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses setting values written as Spring Boot reads them, so one file serves the starter and the
 * server: durations as {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d} (a bare number is
 * milliseconds) or ISO-8601 ({@code PT5S}); sizes as {@code 64MB}, {@code 512KB} (binary multiples, a
 * bare number is bytes). Each parser names the rule in its message; the caller adds the key.
 */
public final class Values {
  private static final Pattern SIMPLE = Pattern.compile("^([+-]?\\d+)([a-zA-Z]{0,2})$");

  private Values() {}

  public static Duration duration(String text) {
    String value = text.strip();
    if (value.length() > 1 && (value.charAt(0) == 'P' || value.charAt(0) == 'p' || value.startsWith("-P"))) {
      try {
        return Duration.parse(value);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(rule(text, "an ISO-8601 duration such as PT5S"), e);
      }
    }
    Matcher m = SIMPLE.matcher(value);
    if (!m.matches()) {
      throw new IllegalArgumentException(rule(text, "a duration such as 500ms, 5s, 2m, 1h, 1d or PT5S"));
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "ms" -> Duration.ofMillis(amount);
      case "ns" -> Duration.ofNanos(amount);
      case "us" -> Duration.ofNanos(Math.multiplyExact(amount, 1_000L));
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      case "d" -> Duration.ofDays(amount);
      default -> throw new IllegalArgumentException(rule(text, "a duration whose unit is ns, us, ms, s, m, h or d"));
    };
  }

  public static long bytes(String text) {
    Matcher m = SIMPLE.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(rule(text, "a size such as 512KB, 64MB or 2GB (a bare number is bytes)"));
    }
    long amount = Long.parseLong(m.group(1));
    long unit = switch (m.group(2).toUpperCase(Locale.ROOT)) {
      case "", "B" -> 1L;
      case "KB" -> 1L << 10;
      case "MB" -> 1L << 20;
      case "GB" -> 1L << 30;
      case "TB" -> 1L << 40;
      default -> throw new IllegalArgumentException(rule(text, "a size whose unit is B, KB, MB, GB or TB"));
    };
    try {
      return Math.multiplyExact(amount, unit);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(rule(text, "a size below 8 EB"), e);
    }
  }

  /** A byte amount a setting takes as an int: one above that is refused, not cut. */
  public static int intBytes(String text) {
    long bytes = bytes(text);
    if (bytes != (int) bytes) {
      throw new IllegalArgumentException(rule(text, "a size of at most " + Integer.MAX_VALUE + " bytes"));
    }
    return (int) bytes;
  }

  public static int integer(String text) {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(rule(text, "a whole number"), e);
    }
  }

  public static long longInteger(String text) {
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(rule(text, "a whole number"), e);
    }
  }

  public static double decimal(String text) {
    try {
      double value = Double.parseDouble(text.strip());
      if (!Double.isFinite(value)) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(rule(text, "a finite number such as 0.5"), e);
    }
  }

  public static boolean bool(String text) {
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(rule(text, "true or false"));
    };
  }

  /**
   * The one of {@code known} (kebab-case names) that {@code name} spells, as Spring's relaxed binding
   * matches them: {@code callTimeout}, {@code call_timeout} and {@code CALL-TIMEOUT} are all
   * {@code call-timeout}; empty when none is.
   */
  public static java.util.Optional<String> relaxed(String name, java.util.Collection<String> known) {
    String wanted = name.replace("-", "").replace("_", "");
    return known.stream().filter(k -> k.replace("-", "").equalsIgnoreCase(wanted)).findFirst();
  }

  /** An enum constant, matched as Spring does: case and '-' against '_' do not matter. */
  public static <E extends Enum<E>> E constant(String text, Class<E> type) {
    String wanted = text.strip().replace('-', '_');
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(wanted)) {
        return constant;
      }
    }
    StringBuilder names = new StringBuilder();
    for (E constant : type.getEnumConstants()) {
      names.append(names.isEmpty() ? "" : ", ").append(constant.name().toLowerCase(Locale.ROOT));
    }
    throw new IllegalArgumentException(rule(text, "one of " + names));
  }

  private static String rule(String text, String rule) {
    return "'" + text + "' is invalid: it must be " + rule;
  }
}
