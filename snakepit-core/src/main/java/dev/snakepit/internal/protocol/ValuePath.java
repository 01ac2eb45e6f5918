package dev.snakepit.internal.protocol;

import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Writes the location of a value inside a body the way both runtimes report it in errors:
 * {@code $} for the body, {@code .name} for a key that reads as an identifier, {@code ["any key"]}
 * (JSON-escaped) for any other key, {@code [3]} for a list index. Example: {@code $.kwargs.points[3]}.
 *
 * <p>Paths are built only when something fails, so the happy path never pays for them.
 */
final class ValuePath {

  static final String ROOT = "$";

  private ValuePath() {}

  /** A path from steps given outermost first; each step is a {@code String} key or an {@code Integer} index. */
  static String of(List<Object> steps) {
    StringBuilder path = new StringBuilder(ROOT);
    for (Object step : steps) {
      if (step instanceof String key) {
        appendKey(path, key);
      } else {
        path.append('[').append(step).append(']');
      }
    }
    return path.toString();
  }

  /** The path of the value a parser is positioned in, from its chain of contexts. */
  static String of(JsonStreamContext context) {
    Deque<Object> steps = new ArrayDeque<>();
    for (JsonStreamContext at = context; at != null && !at.inRoot(); at = at.getParent()) {
      if (at.inArray()) {
        steps.addFirst(Math.max(at.getCurrentIndex(), 0));
      } else if (at.getCurrentName() != null) {
        steps.addFirst(at.getCurrentName());
      }
    }
    return of(List.copyOf(steps));
  }

  private static void appendKey(StringBuilder path, String key) {
    if (isIdentifier(key)) {
      path.append('.').append(key);
    } else {
      path.append("[\"");
      JsonStringEncoder.getInstance().quoteAsString(key, path);
      path.append("\"]");
    }
  }

  private static boolean isIdentifier(String key) {
    if (key.isEmpty()) {
      return false;
    }
    int first = key.codePointAt(0);
    if (!Character.isLetter(first) && first != '_') {
      return false;
    }
    for (int i = Character.charCount(first); i < key.length(); ) {
      int c = key.codePointAt(i);
      if (!Character.isLetterOrDigit(c) && c != '_') {
        return false;
      }
      i += Character.charCount(c);
    }
    return true;
  }
}
