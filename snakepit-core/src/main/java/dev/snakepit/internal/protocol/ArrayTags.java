package dev.snakepit.internal.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.snakepit.NdArray;
import dev.snakepit.NdArray.DType;
import dev.snakepit.internal.protocol.ValueDecodingException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The array tag of docs/protocol.md, section 3.3:
 * {@code {"$nd": {"dtype": "float64", "shape": [2, 3], "byteorder": "little", "data": {"$b": 0}}}},
 * the elements in row-major order as the attachment the inner bytes tag names.
 */
final class ArrayTags {

  /** Name of the single member of an array tag. */
  static final String TAG = "$nd";

  private static final Set<String> FIELDS = Set.of("dtype", "shape", "byteorder", "data");

  private ArrayTags() {}

  /** Writes the tag's inner object; {@code data} writes the bytes tag of the elements. */
  static void write(JsonGenerator out, NdArray array, ByteWriter data) throws IOException {
    out.writeStartObject();
    out.writeFieldName(TAG);
    out.writeStartObject();
    out.writeStringField("dtype", array.dtype().wireName());
    out.writeFieldName("shape");
    long[] shape = array.shape();
    out.writeArray(shape, 0, shape.length);
    out.writeStringField("byteorder", array.byteOrder() == ByteOrder.BIG_ENDIAN ? "big" : "little");
    out.writeFieldName("data");
    data.write(array.buffer());
    out.writeEndObject();
    out.writeEndObject();
  }

  /** Writes a bytes tag for a buffer and keeps the buffer as an attachment. */
  interface ByteWriter {
    void write(ByteBuffer bytes) throws IOException;
  }

  /**
   * The array an array tag's value describes, over the attachment's bytes without a copy.
   *
   * @throws ValueDecodingException ({@code BAD_TAG}) naming what is malformed and the path
   */
  static NdArray read(Object spec, String path) throws ValueDecodingException {
    if (!(spec instanceof Map<?, ?> fields) || !fields.keySet().equals(FIELDS)) {
      throw bad(path, "must hold an object with exactly the members byteorder, data, dtype and shape; "
          + "found " + (spec instanceof Map<?, ?> map ? "the members " + map.keySet() : kind(spec)));
    }
    Object name = fields.get("dtype");
    DType dtype = name instanceof String text ? DType.fromWireName(text) : null;
    if (dtype == null) {
      throw bad(path, "has dtype " + quoted(name) + "; supported dtypes are " + supported());
    }
    long[] shape = shape(fields.get("shape"), path);
    Object order = fields.get("byteorder");
    if (!"little".equals(order) && !"big".equals(order)) {
      throw bad(path, "has byteorder " + quoted(order) + "; it must be \"little\" or \"big\"");
    }
    ByteBuffer bytes;
    if (fields.get("data") instanceof byte[] data) {
      bytes = ByteBuffer.wrap(data);
    } else if (fields.get("data") instanceof SharedSegments.Segment segment) {
      bytes = mapped(segment, path); // a shared-memory file (section 3.5), mapped read-only
    } else {
      throw bad(path, "must have a bytes tag as its data, not " + kind(fields.get("data")));
    }
    bytes.order("big".equals(order) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    try {
      return NdArray.wrap(dtype, shape, bytes);
    } catch (IllegalArgumentException e) {
      throw bad(path, "does not match its data: " + e.getMessage());
    }
  }

  /** A read-only mapping of a shared-memory file a tag took. */
  static ByteBuffer mapped(SharedSegments.Segment segment, String path) throws ValueDecodingException {
    try {
      return segment.map();
    } catch (IOException e) {
      throw new ValueDecodingException(Reason.BAD_TAG, path, "the shared-memory file of the tag at " + path
          + " cannot be mapped: " + e);
    }
  }

  private static long[] shape(Object value, String path) throws ValueDecodingException {
    if (value instanceof List<?> dims && dims.size() <= NdArray.MAX_DIMENSIONS) {
      long[] shape = new long[dims.size()];
      for (int i = 0; i < shape.length; i++) {
        if (!(dims.get(i) instanceof Long n) || n < 0) {
          shape = null;
          break;
        }
        shape[i] = n;
      }
      if (shape != null) {
        return shape;
      }
    }
    throw bad(path, "has shape " + value + "; a shape is a list of at most " + NdArray.MAX_DIMENSIONS
        + " non-negative integers");
  }

  private static String supported() {
    StringBuilder names = new StringBuilder();
    for (DType type : DType.values()) {
      names.append(names.isEmpty() ? "" : ", ").append(type.wireName());
    }
    return names.toString();
  }

  private static String quoted(Object value) {
    return value instanceof String text ? "\"" + (text.length() <= 20 ? text : text.substring(0, 17)
        + "...") + "\"" : kind(value);
  }

  private static String kind(Object value) {
    return switch (value) {
      case null -> "null";
      case Map<?, ?> ignored -> "an object";
      case List<?> ignored -> "an array";
      case String ignored -> "a string";
      case byte[] ignored -> "a bytes tag";
      case SharedSegments.Segment ignored -> "a shared-memory tag";
      default -> value.toString();
    };
  }

  private static ValueDecodingException bad(String path, String complaint) {
    return new ValueDecodingException(Reason.BAD_TAG, path, "array tag at " + path + " " + complaint);
  }
}
