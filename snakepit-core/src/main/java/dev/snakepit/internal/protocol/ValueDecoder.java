package dev.snakepit.internal.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.snakepit.ArrowData;
import dev.snakepit.internal.protocol.ValueDecodingException.Reason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns frame bodies into Java values (docs/protocol.md, section 3): objects become
 * {@code LinkedHashMap<String, Object>} in wire order, arrays {@code ArrayList<Object>}, integers
 * {@code Long} (or {@code BigInteger} outside the long range), floats {@code Double} (including NaN,
 * the infinities and -0.0), strings {@code String}, booleans {@code Boolean}; an empty body is
 * {@code null}. When a key repeats, the last value wins at the first key's position, as in Python.
 *
 * <p>In a TAGGED body, tags and escapes are resolved during the single streaming pass: after an
 * object's first member the parser looks at the next token, and only an object that ends there can be
 * a tag. Each attachment must be referenced exactly once (section 3.2); a tag's {@code byte[]} is the
 * attachment array itself, not a copy, and so are the bytes of an array tag's {@link dev.snakepit.NdArray}
 * (section 3.3). A shared-memory tag (section 3.5) takes its file from the frame's
 * {@link SharedSegments}: an array or a table wraps a read-only mapping of it, a plain bytes value
 * becomes a copy in a {@code byte[]}; every file the frame named is closed when decoding ends.
 *
 * <p>Thread-safe and stateless; one instance serves a whole pool.
 */
public final class ValueDecoder {

  /**
   * The deepest nesting accepted: {@link ValueEncoder#MAX_DEPTH} plus room for the envelope a message
   * puts around a value ({@code {"value": ...}}) and for the object of a bytes tag at the bottom.
   */
  public static final int MAX_DEPTH = ValueEncoder.MAX_DEPTH + 10;

  /** Decodes a frame's body with the frame's attachments and TAGGED flag. */
  public Object decode(Frame frame) throws ValueDecodingException {
    return decode(frame.body(), frame.attachments(), frame.tagged(), frame.segments());
  }

  /**
   * Decodes a body.
   *
   * @param body UTF-8 JSON; empty means {@code null}
   * @param attachments the frame's attachments, in index order
   * @param tagged whether the frame has the TAGGED flag; without it no object is interpreted
   */
  public Object decode(byte[] body, List<byte[]> attachments, boolean tagged)
      throws ValueDecodingException {
    return decode(body, attachments, tagged, SharedSegments.NONE);
  }

  /** Decodes a body whose shared-memory tags name the files in {@code segments}, which it then releases. */
  Object decode(byte[] body, List<byte[]> attachments, boolean tagged, SharedSegments segments)
      throws ValueDecodingException {
    try {
      Object value = decodeTags(body, attachments, tagged, segments);
      return segments.hasUnmapped() ? segments.readPlainBytes(value, ValuePath.ROOT) : value;
    } finally {
      segments.release();
    }
  }

  private Object decodeTags(byte[] body, List<byte[]> attachments, boolean tagged, SharedSegments segments)
      throws ValueDecodingException {
    if (!tagged && !attachments.isEmpty()) {
      throw new ValueDecodingException(Reason.BAD_TAG, null, "the frame carries " + attachments.size()
          + (attachments.size() == 1 ? " attachment" : " attachments")
          + " but no TAGGED flag, so no tag can refer to them");
    }
    if (body.length == 0) {
      requireAllUsed(attachments, new boolean[attachments.size()]);
      return null;
    }
    JsonParser parser = null;
    try {
      parser = JsonDialect.FACTORY.createParser(body, 0, body.length);
      Walk walk = new Walk(parser, attachments, tagged, segments);
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new ValueDecodingException(Reason.MALFORMED_JSON, ValuePath.ROOT,
            "the body holds no JSON value, only " + body.length + " bytes of whitespace");
      }
      Object value = walk.read(first, 0);
      if (parser.nextToken() != null) {
        throw new ValueDecodingException(Reason.MALFORMED_JSON, ValuePath.ROOT,
            "the body continues after its JSON value, at byte " + offset(parser));
      }
      if (tagged) {
        requireAllUsed(attachments, walk.used);
      }
      return value;
    } catch (StreamConstraintsException e) {
      // Jackson's own limits are backstops (JsonDialect); the walk enforces the protocol's first.
      throw new ValueDecodingException(Reason.MALFORMED_JSON, pathOf(parser),
          "body exceeds a limit at " + pathOf(parser) + ": " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      long at = e.getLocation() == null ? -1 : e.getLocation().getByteOffset();
      throw new ValueDecodingException(Reason.MALFORMED_JSON, pathOf(parser), "malformed JSON body at "
          + pathOf(parser) + (at >= 0 ? " (byte " + at + ")" : "") + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ValueDecodingException(Reason.MALFORMED_JSON, pathOf(parser),
          "cannot read the body: " + e.getMessage());
    } finally {
      closeQuietly(parser);
    }
  }

  private static void requireAllUsed(List<byte[]> attachments, boolean[] used)
      throws ValueDecodingException {
    for (int i = 0; i < used.length; i++) {
      if (!used[i]) {
        throw new ValueDecodingException(Reason.BAD_TAG, null, "attachment " + i + " of "
            + attachments.size() + " is not referenced by the body; each must be referenced once");
      }
    }
  }

  /** One decoding's state: the parser and which attachments tags have claimed. */
  private static final class Walk {
    private final JsonParser in;
    private final List<byte[]> attachments;
    private final boolean tagged;
    private final boolean[] used;
    private final SharedSegments segments;

    Walk(JsonParser in, List<byte[]> attachments, boolean tagged, SharedSegments segments) {
      this.in = in;
      this.attachments = attachments;
      this.tagged = tagged;
      this.used = new boolean[attachments.size()];
      this.segments = segments;
    }

    /** Reads the value that starts at {@code token}; {@code depth} counts the containers around it. */
    Object read(JsonToken token, int depth) throws IOException, ValueDecodingException {
      if (token == null) {
        throw new ValueDecodingException(Reason.MALFORMED_JSON, pathOf(in),
            "the body ends inside a value at " + pathOf(in));
      }
      return switch (token) {
        case START_OBJECT -> readObject(depth + 1);
        case START_ARRAY -> readArray(depth + 1);
        case VALUE_STRING -> in.getText();
        case VALUE_NUMBER_INT -> readInteger();
        case VALUE_NUMBER_FLOAT -> in.getDoubleValue();
        case VALUE_TRUE -> Boolean.TRUE;
        case VALUE_FALSE -> Boolean.FALSE;
        case VALUE_NULL -> null;
        default -> throw new ValueDecodingException(Reason.MALFORMED_JSON, pathOf(in),
            "unexpected " + token + " at " + pathOf(in));
      };
    }

    private Object readInteger() throws IOException, ValueDecodingException {
      if (in.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        // Only now is the literal long enough to count; Jackson has not converted it yet.
        int digits = in.getTextLength() - (in.getTextCharacters()[in.getTextOffset()] == '-' ? 1 : 0);
        if (digits > JsonDialect.MAX_INTEGER_DIGITS) {
          throw new ValueDecodingException(Reason.NUMBER_TOO_LONG, pathOf(in), "integer of " + digits
              + " digits at " + pathOf(in) + " " + JsonDialect.tooManyDigitsRule());
        }
        return in.getBigIntegerValue();
      }
      return in.getLongValue();
    }

    private List<Object> readArray(int depth) throws IOException, ValueDecodingException {
      checkDepth(depth);
      List<Object> list = new ArrayList<>();
      for (JsonToken token = in.nextToken(); token != JsonToken.END_ARRAY; token = in.nextToken()) {
        list.add(read(token, depth));
      }
      return list;
    }

    private Object readObject(int depth) throws IOException, ValueDecodingException {
      checkDepth(depth);
      if (in.nextToken() == JsonToken.END_OBJECT) {
        return new LinkedHashMap<String, Object>();
      }
      String name = in.currentName();
      Object value = read(in.nextToken(), depth);
      if (in.nextToken() == JsonToken.END_OBJECT) {
        // Exactly one member, judged on the text: only such an object can be a tag or an escape.
        if (tagged && JsonDialect.looksLikeTag(name)) {
          if (name.equals(JsonDialect.TAG)) {
            return attachment(value);
          }
          if (name.equals(ArrayTags.TAG)) {
            return ArrayTags.read(value, pathOf(in));
          }
          if (name.equals(JsonDialect.ARROW_TAG)) {
            return table(value);
          }
          if (name.equals(JsonDialect.SHM_TAG)) {
            return segments.take(value, pathOf(in)); // mapped by an array or table tag, else read as bytes
          }
          name = name.substring(1);
        }
        Map<String, Object> single = new LinkedHashMap<>(2);
        single.put(name, value);
        return single;
      }
      Map<String, Object> map = new LinkedHashMap<>();
      map.put(name, value);
      do {
        map.put(in.currentName(), read(in.nextToken(), depth));
      } while (in.nextToken() != JsonToken.END_OBJECT);
      return map;
    }

    private ArrowData table(Object data) throws ValueDecodingException {
      if (data instanceof SharedSegments.Segment segment) {
        return ArrowData.of(ArrayTags.mapped(segment, pathOf(in)));
      }
      if (!(data instanceof byte[] bytes)) {
        throw new ValueDecodingException(Reason.BAD_TAG, pathOf(in), "Arrow tag at " + pathOf(in)
            + " must hold a bytes tag, not " + describe(data));
      }
      return ArrowData.of(bytes);
    }

    private byte[] attachment(Object index) throws ValueDecodingException {
      if (!(index instanceof Long i) || i < 0 || i >= attachments.size()) {
        throw new ValueDecodingException(Reason.BAD_TAG, pathOf(in), "bytes tag at " + pathOf(in)
            + " holds " + describe(index) + ", not the index of one of the frame's "
            + attachments.size() + " attachments");
      }
      int at = i.intValue();
      if (used[at]) {
        throw new ValueDecodingException(Reason.BAD_TAG, pathOf(in), "bytes tag at " + pathOf(in)
            + " refers to attachment " + at + ", which an earlier tag already took");
      }
      used[at] = true;
      return attachments.get(at);
    }

    private void checkDepth(int depth) throws ValueDecodingException {
      if (depth > MAX_DEPTH) {
        String path = ValuePath.of(in.getParsingContext().getParent());
        throw new ValueDecodingException(Reason.TOO_DEEP, path, "body nested deeper than "
            + MAX_DEPTH + " levels at " + path);
      }
    }

    private static String describe(Object value) {
      return switch (value) {
        case null -> "null";
        case String s -> "the string \"" + (s.length() <= 20 ? s : s.substring(0, 17) + "...") + "\"";
        case Map<?, ?> ignored -> "an object";
        case List<?> ignored -> "an array";
        case byte[] ignored -> "a bytes tag";
        case SharedSegments.Segment ignored -> "a shared-memory tag";
        default -> value.toString();
      };
    }
  }

  /** Where the parser is, for messages; {@code $} when nothing is known. */
  private static String pathOf(JsonParser parser) {
    if (parser == null) {
      return ValuePath.ROOT;
    }
    JsonStreamContext context = parser.getParsingContext();
    return context == null ? ValuePath.ROOT : ValuePath.of(context);
  }

  private static long offset(JsonParser parser) {
    return parser.currentTokenLocation().getByteOffset();
  }

  private static void closeQuietly(JsonParser parser) {
    if (parser != null) {
      try {
        parser.close();
      } catch (IOException ignored) {
        // A parser over an array has nothing to release that could fail.
      }
    }
  }
}
