package dev.snakepit.internal.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

/**
 * The JSON of frame bodies (docs/protocol.md, section 3): RFC 8259 plus the bare tokens {@code NaN},
 * {@code Infinity} and {@code -Infinity}, as Python's {@code json} module reads and writes them.
 */
final class JsonDialect {

  /** Name of the single member of a bytes tag, {@code {"$b": 0}}. */
  static final String TAG = "$b";

  /**
   * The most decimal digits an integer may have, the sign not counted: the protocol's limit
   * (docs/protocol.md, section 3.1), the same in the Python runtime. It is Python's default limit for
   * int and str conversions, so every worker can read and print every integer that crosses. The
   * encoder refuses a longer integer before anything is sent, the decoder one that arrives.
   */
  static final int MAX_INTEGER_DIGITS = 4300;

  /**
   * Jackson's own nesting limit is a backstop only; the decoder enforces {@link ValueDecoder#MAX_DEPTH}
   * first, with a message that names the path.
   */
  private static final int JACKSON_MAX_NESTING = 1000;

  /** Configured once and shared: the factory is thread-safe and holds Jackson's buffer recyclers. */
  static final JsonFactory FACTORY = new JsonFactoryBuilder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      // Astral characters as 4 UTF-8 bytes instead of two 6-byte escapes. A lone surrogate, which has
      // no UTF-8 form, is still written as a six-character JSON escape, which Python reads as that
      // code point: such strings cross unchanged in both directions.
      .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
      // Error messages must not quote bodies: a HELLO carries the worker's secret token.
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      // User keys (ids, file names) are unbounded in variety; interning them would only fill the pool.
      .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
      // A single string, key or number may be as large as a frame; the frame limit already bounds
      // them. The decoder refuses an integer of more than MAX_INTEGER_DIGITS itself, naming its path
      // and length; a float literal of any length parses in linear time.
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE)
          .maxNameLength(Integer.MAX_VALUE)
          .maxDocumentLength(-1)
          .maxNumberLength(Integer.MAX_VALUE)
          .maxNestingDepth(JACKSON_MAX_NESTING)
          .build())
      .build();

  private JsonDialect() {}

  /** The end of the message refusing an integer of too many digits, in both directions. */
  static String tooManyDigitsRule() {
    return "is longer than the protocol allows (at most " + MAX_INTEGER_DIGITS
        + " digits, the sign not counted)";
  }

  /** The tag of an Arrow table (docs/protocol.md, section 3.4): {@code {"$arrow": {"$b": 0}}}. */
  static final String ARROW_TAG = "$arrow";

  /**
   * The tag of bytes in a shared-memory file (docs/protocol.md, section 3.5):
   * {@code {"$shm": {"name": "j-17", "size": 67108864}}}, wherever a bytes tag may stand.
   */
  static final String SHM_TAG = "$shm";

  /**
   * Whether a key is one or more {@code $} followed by {@code b}, {@code nd}, {@code arrow} or
   * {@code shm}: a single-member object with such a key reads as a tag (bytes, an array, a table or a
   * shared-memory file), so in a TAGGED body it is escaped with one more {@code $}.
   */
  static boolean looksLikeTag(String key) {
    int length = key.length();
    int end;
    if (length >= 2 && key.charAt(length - 1) == 'b') {
      end = length - 1;
    } else if (length >= 3 && key.endsWith("nd")) {
      end = length - 2;
    } else if (length >= 6 && key.endsWith("arrow")) {
      end = length - 5;
    } else if (length >= 4 && key.endsWith("shm")) {
      end = length - 3;
    } else {
      return false;
    }
    for (int i = 0; i < end; i++) {
      if (key.charAt(i) != '$') {
        return false;
      }
    }
    return true;
  }
}
