package dev.snakepit.internal.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.snakepit.NdArray;
import dev.snakepit.NdArray.DType;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the typed notation of the golden descriptions (see make_golden.py) into the Java values a
 * decoder must produce: {@code {"int": "5"}} is {@code Long 5}, {@code {"float": "NaN"}} a NaN,
 * {@code {"bytes": "00ff"}} a {@code byte[]}, {@code {"map": [["k", node], ...]}} a map in that order,
 * {@code {"ndarray": {...}}} an {@link NdArray}.
 *
 * <p>It reads the description with a plain Jackson parser, not with the decoder under test.
 */
final class TypedNotation {

  private TypedNotation() {}

  /** Reads one node; the parser is on its START_OBJECT and ends on its END_OBJECT. */
  static Object read(JsonParser in) throws IOException {
    expect(in.currentToken(), JsonToken.START_OBJECT, in);
    expect(in.nextToken(), JsonToken.FIELD_NAME, in);
    String type = in.currentName();
    JsonToken token = in.nextToken();
    Object value = switch (type) {
      case "null" -> null;
      case "bool" -> in.getBooleanValue();
      case "int" -> integer(in.getText());
      case "float" -> "NaN".equals(in.getText()) ? Double.NaN : Double.parseDouble(in.getText());
      case "str" -> in.getText();
      case "bytes" -> HexFormat.of().parseHex(in.getText());
      case "list" -> list(in, token);
      case "map" -> map(in, token);
      case "ndarray" -> array(in, token);
      default -> throw new IOException("unknown node type " + type + " at " + in.currentLocation());
    };
    expect(in.nextToken(), JsonToken.END_OBJECT, in);
    return value;
  }

  /** An int as the Java mapping says: a Long whenever it fits, a BigInteger only beyond. */
  static Object integer(String decimal) {
    BigInteger value = new BigInteger(decimal);
    return value.bitLength() < Long.SIZE ? (Object) value.longValueExact() : value;
  }

  private static List<Object> list(JsonParser in, JsonToken start) throws IOException {
    expect(start, JsonToken.START_ARRAY, in);
    List<Object> items = new ArrayList<>();
    while (in.nextToken() != JsonToken.END_ARRAY) {
      items.add(read(in));
    }
    return items;
  }

  private static Map<String, Object> map(JsonParser in, JsonToken start) throws IOException {
    expect(start, JsonToken.START_ARRAY, in);
    Map<String, Object> map = new LinkedHashMap<>();
    while (in.nextToken() != JsonToken.END_ARRAY) {
      expect(in.currentToken(), JsonToken.START_ARRAY, in);
      expect(in.nextToken(), JsonToken.VALUE_STRING, in);
      String key = in.getText();
      in.nextToken();
      map.put(key, read(in));
      expect(in.nextToken(), JsonToken.END_ARRAY, in);
    }
    return map;
  }

  /** An ndarray node (plain JSON: dtype, shape, byteorder, data in hex): the array over those bytes. */
  private static NdArray array(JsonParser in, JsonToken start) throws IOException {
    expect(start, JsonToken.START_OBJECT, in);
    DType dtype = null;
    List<Long> shape = new ArrayList<>();
    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    byte[] data = null;
    while (in.nextToken() != JsonToken.END_OBJECT) {
      String field = in.currentName();
      JsonToken token = in.nextToken();
      switch (field) {
        case "dtype" -> dtype = DType.fromWireName(in.getText());
        case "byteorder" -> order = "big".equals(in.getText()) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        case "data" -> data = HexFormat.of().parseHex(in.getText());
        case "shape" -> {
          expect(token, JsonToken.START_ARRAY, in);
          while (in.nextToken() != JsonToken.END_ARRAY) {
            shape.add(in.getLongValue());
          }
        }
        default -> throw new IOException("unknown ndarray field " + field + " at " + in.currentLocation());
      }
    }
    long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
    return NdArray.wrap(dtype, dims, ByteBuffer.wrap(data).order(order));
  }

  private static void expect(JsonToken actual, JsonToken expected, JsonParser in) throws IOException {
    if (actual != expected) {
      throw new IOException("expected " + expected + " but found " + actual + " at " + in.currentLocation());
    }
  }
}
