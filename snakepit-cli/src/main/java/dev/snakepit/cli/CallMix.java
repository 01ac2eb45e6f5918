package dev.snakepit.cli;

import dev.snakepit.Call;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's calls, each with the result it must return, so the demo checks answers as well as counting
 * them. Call {@code i} is one of three kinds in turn: {@code add} (the cheapest call), {@code echo} of a
 * small nested value (exercises the value codec both ways) and {@code cpu}, which counts primes in pure
 * Python for a few tens of microseconds.
 */
final class CallMix {
  /** The {@code n} values given to {@code cpu}; small, so a call stays well under a millisecond. */
  private static final int[] CPU_SIZES = {1_000, 2_000, 3_000};
  private static final long[] CPU_ANSWERS = new long[CPU_SIZES.length];

  static {
    for (int i = 0; i < CPU_SIZES.length; i++) {
      CPU_ANSWERS[i] = primesBelow(CPU_SIZES[i]);
    }
  }

  /** A call and the value it must return. */
  record Expected(Call call, Object result) {}

  private CallMix() {}

  /** The names of the tools the mix uses. */
  static List<String> tools() {
    return List.of("add", "echo", "cpu");
  }

  /** The {@code i}-th call of the demo. */
  static Expected call(int i) {
    return switch (i % 3) {
      case 0 -> new Expected(Call.of("add").withArg("a", (long) i).withArg("b", 7L), i + 7L);
      case 1 -> {
        Map<String, Object> value = echoValue(i);
        yield new Expected(Call.of("echo").withArg("value", value), value);
      }
      default -> {
        int size = (i / 3) % CPU_SIZES.length;
        yield new Expected(Call.of("cpu").withArg("n", (long) CPU_SIZES[size]), CPU_ANSWERS[size]);
      }
    };
  }

  /**
   * A small value with every kind of JSON node, built from the Java types the pool returns (Long,
   * Double, Boolean, String, List, Map, null) so that an echoed copy is {@code equals} to it.
   */
  private static Map<String, Object> echoValue(int i) {
    Map<String, Object> point = new LinkedHashMap<>();
    point.put("x", 1.5);
    point.put("y", -0.25 * (i % 8));
    List<Object> tags = new ArrayList<>(List.of("demo", "call-" + i));
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("id", (long) i);
    value.put("tags", tags);
    value.put("point", point);
    value.put("even", i % 2 == 0);
    value.put("note", null);
    return value;
  }

  /** What {@code DemoAdapter.cpu(n)} returns: the number of primes below {@code n}. */
  static long primesBelow(int n) {
    if (n < 3) {
      return 0;
    }
    boolean[] composite = new boolean[n];
    long count = 0;
    for (int i = 2; i < n; i++) {
      if (!composite[i]) {
        count++;
        for (long j = (long) i * i; j < n; j += i) {
          composite[(int) j] = true;
        }
      }
    }
    return count;
  }
}
