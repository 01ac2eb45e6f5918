package dev.snakepit.internal.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.snakepit.ArrowData;
import dev.snakepit.NdArray;
import dev.snakepit.internal.protocol.ValueEncodingException.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns Java values into frame bodies, following the table of docs/protocol.md, section 3.1:
 *
 * <ul>
 *   <li>{@code null}, {@code Boolean}: {@code null}, {@code true}, {@code false};
 *   <li>{@code Byte}, {@code Short}, {@code Integer}, {@code Long}, {@code AtomicInteger},
 *       {@code AtomicLong}, {@code BigInteger}: integers, never with a fraction or exponent;
 *   <li>{@code Double}: a float, always with {@code .} or an exponent ({@code 1.0}, {@code 1.0E300}),
 *       or {@code NaN}, {@code Infinity}, {@code -Infinity}. A {@code Float} is sent as the double
 *       its decimal text denotes ({@code Double.parseDouble(Float.toString(f))}), so {@code 0.1f}
 *       arrives as Python's {@code 0.1}, the number the user wrote, not as
 *       {@code 0.10000000149011612}, its exact binary value;
 *   <li>{@code String}, any {@code CharSequence}, {@code Character}: a string;
 *   <li>{@code byte[]}, {@code ByteBuffer} (its remaining bytes; its position is not moved): a bytes
 *       tag and an attachment;
 *   <li>{@link NdArray}, and {@code int[]}, {@code long[]}, {@code short[]}, {@code double[]},
 *       {@code float[]}, {@code boolean[]} and rectangular nested arrays of them ({@code double[][]}):
 *       an array tag (section 3.3), the elements copied in bulk into one attachment;
 *   <li>{@link ArrowData}: an Arrow tag (section 3.4), its IPC stream as one attachment;
 *   <li>any {@code Collection}, and any other {@code Object[]}: a JSON array;
 *   <li>a {@code Map} with {@code String} keys: an object, keys in iteration order.
 * </ul>
 *
 * <p>Everything else is refused, naming the value's path and type. {@code char[]} is refused too:
 * it could be read as text or as a list of one-letter strings, and guessing would change types
 * silently. A map with a single key of the form {@code $b}, {@code $$b}, {@code $nd}, {@code $arrow},
 * {@code $shm}, ... is escaped with one more {@code $} (section 3.2). With a {@link SharedMemory}
 * that is on, a buffer of at least its threshold becomes a {@code $shm} tag and a segment of the body
 * (section 3.5) instead of an attachment; its file is written later, by {@link SharedMemory#write}. Containers may nest {@link #MAX_DEPTH} levels, counted from the body itself,
 * and a {@code BigInteger} may have at most 4300 digits ({@link JsonDialect#MAX_INTEGER_DIGITS}).
 *
 * <p>Thread-safe and stateless; one instance serves a whole pool.
 */
public final class ValueEncoder {

  /** The deepest nesting of containers accepted; it also stops a collection that contains itself. */
  public static final int MAX_DEPTH = 500;

  private static final String SUPPORTED = "supported types are null, Boolean, integers, Float/Double, "
      + "strings, byte[]/ByteBuffer, NdArray and primitive arrays, ArrowData, collections, Object[] and maps "
      + "with String keys";

  /**
   * Encodes a whole body, such as {@code {"tool": "add", "args": [1], "kwargs": {}}}.
   *
   * @throws ValueEncodingException when a value inside cannot be sent; its path starts at {@code $}
   */
  public EncodedBody encode(Object body) throws ValueEncodingException {
    return encode(body, SharedMemory.OFF);
  }

  /**
   * Encodes a whole body whose large buffers go through {@code shared} (section 3.5).
   *
   * @throws ValueEncodingException when a value inside cannot be sent; its path starts at {@code $}
   */
  public EncodedBody encode(Object body, SharedMemory shared) throws ValueEncodingException {
    BodyBuffer out = new BodyBuffer();
    Walk walk;
    try (JsonGenerator generator = JsonDialect.FACTORY.createGenerator(out)) {
      walk = new Walk(generator, shared);
      walk.write(body, 0);
    } catch (Rejection rejection) {
      throw rejection.toException();
    } catch (IOException e) {
      // The generator writes into memory; an I/O error here is a bug, not a property of the value.
      throw new UncheckedIOException("encoding a body into memory failed", e);
    }
    return new EncodedBody(out.array(), out.size(), walk.attachments, walk.segments, walk.tagged);
  }

  /** One encoding's state; the generator and the attachments and segments found so far. */
  private static final class Walk {
    private final JsonGenerator out;
    private final SharedMemory shared;
    private final List<ByteBuffer> attachments = new ArrayList<>(0);
    private final List<EncodedBody.Segment> segments = new ArrayList<>(0);
    private boolean tagged;

    Walk(JsonGenerator out, SharedMemory shared) {
      this.out = out;
      this.shared = shared;
    }

    void write(Object value, int depth) throws IOException {
      switch (value) {
        case null -> out.writeNull();
        case String s -> out.writeString(s);
        case Integer i -> out.writeNumber(i.intValue());
        case Long l -> out.writeNumber(l.longValue());
        case Double d -> out.writeNumber(d.doubleValue());
        case Boolean b -> out.writeBoolean(b);
        case Map<?, ?> map -> writeMap(map, depth);
        case Collection<?> collection -> writeCollection(collection, depth);
        case byte[] bytes -> writeBytes(ByteBuffer.wrap(bytes));
        case ByteBuffer buffer -> writeBytes(buffer.slice());
        case Float f -> out.writeNumber(Double.parseDouble(Float.toString(f)));
        case Short s -> out.writeNumber(s.shortValue());
        case Byte b -> out.writeNumber(b.intValue());
        case BigInteger big -> writeBigInteger(big);
        case AtomicInteger atomic -> out.writeNumber(atomic.get());
        case AtomicLong atomic -> out.writeNumber(atomic.get());
        case Character c -> out.writeString(c.toString());
        case CharSequence text -> out.writeString(text.toString());
        case NdArray array -> writeArray(array);
        case ArrowData table -> writeTable(table);
        case Object[] array -> writeObjects(array, depth);
        case int[] array -> writeArray(primitives(array));
        case long[] array -> writeArray(primitives(array));
        case double[] array -> writeArray(primitives(array));
        case float[] array -> writeArray(primitives(array));
        case short[] array -> writeArray(primitives(array));
        case boolean[] array -> writeArray(primitives(array));
        default -> throw unsupported(value);
      }
    }

    private void writeMap(Map<?, ?> map, int depth) throws IOException {
      enter(map, depth);
      boolean single = map.size() == 1;
      out.writeStartObject();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!(entry.getKey() instanceof String key)) {
          throw nonStringKey(entry.getKey());
        }
        if (single && JsonDialect.looksLikeTag(key)) {
          out.writeFieldName("$" + key);
          tagged = true;
        } else {
          out.writeFieldName(key);
        }
        try {
          write(entry.getValue(), depth + 1);
        } catch (Rejection rejection) {
          throw rejection.within(key);
        }
      }
      out.writeEndObject();
    }

    private void writeCollection(Collection<?> items, int depth) throws IOException {
      enter(items, depth);
      out.writeStartArray();
      int index = 0;
      for (Object item : items) {
        try {
          write(item, depth + 1);
        } catch (Rejection rejection) {
          throw rejection.within(index);
        }
        index++;
      }
      out.writeEndArray();
    }

    /** A rectangular nested primitive array ({@code double[][]}) is one array; others a list. */
    private void writeObjects(Object[] array, int depth) throws IOException {
      NdArray nested = array.getClass().getComponentType().isArray() ? primitives(array) : null;
      if (nested != null) {
        writeArray(nested);
      } else {
        writeCollection(Arrays.asList(array), depth);
      }
    }

    /** The array of a primitive array, or of a rectangular nested one; null for a ragged one. */
    private static NdArray primitives(Object array) {
      try {
        return NdArray.fromArray(array);
      } catch (IllegalArgumentException tooLarge) {
        throw new Rejection(Reason.TOO_LARGE, array.getClass().getTypeName(), "array",
            ": " + tooLarge.getMessage());
      }
    }

    private void writeArray(NdArray array) throws IOException {
      ArrayTags.write(out, array, this::writeBytes);
      tagged = true;
    }

    private void writeTable(ArrowData table) throws IOException {
      out.writeStartObject();
      out.writeFieldName(JsonDialect.ARROW_TAG);
      writeBytes(table.bytes());
      out.writeEndObject();
    }

    private void writeBytes(ByteBuffer view) throws IOException {
      if (shared.takes(view.remaining())) {
        writeSegment(view);
        return;
      }
      out.writeStartObject();
      out.writeFieldName(JsonDialect.TAG);
      out.writeNumber(attachments.size());
      out.writeEndObject();
      attachments.add(view);
      tagged = true;
    }

    /** A shared-memory tag, {@code {"$shm": {"name": "j-17", "size": 67108864}}}, and its segment. */
    private void writeSegment(ByteBuffer view) throws IOException {
      EncodedBody.Segment segment = new EncodedBody.Segment(shared.nextName(), view);
      out.writeStartObject();
      out.writeFieldName(JsonDialect.SHM_TAG);
      out.writeStartObject();
      out.writeStringField("name", segment.name());
      out.writeNumberField("size", view.remaining());
      out.writeEndObject();
      out.writeEndObject();
      segments.add(segment);
      tagged = true;
    }

    private void writeBigInteger(BigInteger value) throws IOException {
      String text = value.toString();
      int digits = text.length() - (value.signum() < 0 ? 1 : 0);
      if (digits > JsonDialect.MAX_INTEGER_DIGITS) {
        throw new Rejection(Reason.NUMBER_TOO_LONG, value.getClass().getTypeName(),
            "integer of " + digits + " digits", " " + JsonDialect.tooManyDigitsRule());
      }
      out.writeNumber(text);
    }

    private static void enter(Object container, int depth) {
      if (depth >= MAX_DEPTH) {
        throw new Rejection(Reason.TOO_DEEP, container.getClass().getTypeName(), "value nested deeper than " + MAX_DEPTH
            + " levels", " (or a collection that contains itself)");
      }
    }

    private static Rejection unsupported(Object value) {
      String type = value.getClass().getTypeName();
      return new Rejection(Reason.UNSUPPORTED_TYPE, type, "cannot send " + type,
          ": " + SUPPORTED + hint(value));
    }

    private static Rejection nonStringKey(Object key) {
      String type = key == null ? "null" : key.getClass().getTypeName();
      return new Rejection(Reason.NON_STRING_KEY, type, "map key " + shortText(key) + " of type "
          + type, " is not a String; maps must have String keys, other keys are not converted");
    }

    private static String hint(Object value) {
      return switch (value) {
        case BigDecimal ignored -> "; convert a BigDecimal to double (doubleValue()) or to String";
        case char[] ignored -> "; send text as new String(chars), or the characters as a List";
        case Enum<?> ignored -> "; send an enum as its name()";
        case Iterable<?> ignored -> "; copy an Iterable into a List";
        default -> "";
      };
    }

    private static String shortText(Object key) {
      String text;
      try {
        text = String.valueOf(key);
      } catch (RuntimeException e) {
        text = "<toString() failed>";
      }
      return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
  }

  /**
   * Thrown at the refused value and carried up the recursion, each container adding its step to the
   * path; without a stack trace, since only the path matters.
   */
  private static final class Rejection extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Reason reason;
    private final String typeName;
    private final String subject;
    private final String complaint;
    private final transient List<Object> steps = new ArrayList<>(); // innermost first

    Rejection(Reason reason, String typeName, String subject, String complaint) {
      super(null, null, false, false);
      this.reason = reason;
      this.typeName = typeName;
      this.subject = subject;
      this.complaint = complaint;
    }

    Rejection within(Object step) {
      steps.add(step);
      return this;
    }

    ValueEncodingException toException() {
      List<Object> outermostFirst = new ArrayList<>(steps.reversed());
      String path = ValuePath.of(outermostFirst);
      return new ValueEncodingException(reason, path, typeName, subject + " at " + path + complaint);
    }
  }
}
