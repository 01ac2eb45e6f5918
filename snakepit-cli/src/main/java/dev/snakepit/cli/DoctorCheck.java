package dev.snakepit.cli;

import java.util.Objects;

/**
 * One finding of {@code snakepit doctor}: what was checked, what was found, and for a warning or a
 * failure how to fix it. A check never throws; whatever it could not read is part of what it found.
 *
 * @param name what was checked, such as {@code python} or {@code /dev/shm}
 * @param status the verdict
 * @param found what this machine has, in words
 * @param fix a command or setting that clears a warning or a failure; empty when the status is ok
 */
record DoctorCheck(String name, Status status, String found, String fix) {

  /** The verdict of a check. Only {@link #FAIL} makes the doctor's exit status 1. */
  enum Status {
    OK("ok"),
    /** Pools run, but a feature is missing or degraded. */
    WARN("warn"),
    /** Pools cannot run here. */
    FAIL("FAIL");

    private final String label;

    Status(String label) {
      this.label = label;
    }

    /** As printed: {@code ok}, {@code warn} or {@code FAIL}. */
    String label() {
      return label;
    }
  }

  DoctorCheck {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(found, "found");
    Objects.requireNonNull(fix, "fix");
    found = found.strip();
    fix = fix.strip();
    if (status != Status.OK && fix.isEmpty()) {
      throw new IllegalArgumentException("check " + name + " is " + status.label() + " but says no fix");
    }
  }

  static DoctorCheck ok(String name, String found) {
    return new DoctorCheck(name, Status.OK, found, "");
  }

  static DoctorCheck warn(String name, String found, String fix) {
    return new DoctorCheck(name, Status.WARN, found, fix);
  }

  static DoctorCheck fail(String name, String found, String fix) {
    return new DoctorCheck(name, Status.FAIL, found, fix);
  }

  /** {@code {"name": ..., "status": ..., "found": ..., "fix": ...}}, {@code fix} null when ok. */
  String toJson() {
    return "{\"name\": " + quote(name) + ", \"status\": " + quote(status.label()) + ", \"found\": " + quote(found)
        + ", \"fix\": " + (fix.isEmpty() ? "null" : quote(fix)) + "}";
  }

  /** A JSON string: quotes, backslashes and control characters escaped. */
  static String quote(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
