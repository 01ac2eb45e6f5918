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
   * Longest integer or float literal accepted, in characters. Python refuses to parse integers of
   * more than 4300 digits by default, so nothing longer comes from a worker with default settings;
   * the encoder keeps to the same bound, so that whatever Java sends it can also read back.
   */
  static final int MAX_NUMBER_LENGTH = 5000;

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
      // A single string or key may be as large as a frame; the frame limit already bounds them.
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE)
          .maxNameLength(Integer.MAX_VALUE)
          .maxDocumentLength(-1)
          .maxNumberLength(MAX_NUMBER_LENGTH)
          .maxNestingDepth(JACKSON_MAX_NESTING)
          .build())
      .build();

  private JsonDialect() {}

  /**
   * Whether a key is one or more {@code $} followed by {@code b}: a single-member object with such a
   * key reads as a tag, so in a TAGGED body it is escaped with one more {@code $}.
   */
  static boolean looksLikeTag(String key) {
    int last = key.length() - 1;
    if (last < 1 || key.charAt(last) != 'b') {
      return false;
    }
    for (int i = 0; i < last; i++) {
      if (key.charAt(i) != '$') {
        return false;
      }
    }
    return true;
  }
}
