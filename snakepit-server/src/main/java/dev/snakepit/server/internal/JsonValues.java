package dev.snakepit.server.internal;

import dev.snakepit.ArrowData;
import dev.snakepit.NdArray;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tool's result as JSON, for clients in any language. JSON's own types map one to one; what JSON has
 * no type for becomes an object tagged {@code "$type"} (docs/server.md):
 * bytes as {@code {"$type": "bytes", "base64": ...}}, an array as
 * {@code {"$type": "ndarray", "dtype": "float64", "shape": [2, 3], "data": [...]}} (data flat, row-major),
 * an Arrow table as {@code {"$type": "arrow", "base64": ...}} (Arrow's IPC stream format).
 */
public final class JsonValues {
  private JsonValues() {}

  public static Object toJson(Object value) {
    return switch (value) {
      case null -> null;
      case String s -> s;
      case Boolean b -> b;
      case Integer i -> i;
      case Long l -> l;
      case Short s -> s;
      case Byte b -> b;
      case BigInteger b -> b;
      case BigDecimal b -> b;
      case Double d -> Double.isFinite(d) ? d : d.toString(); // JSON has no NaN or Infinity
      case Float f -> Float.isFinite(f) ? f : f.toString();
      case byte[] bytes -> tagged("bytes", "base64", Base64.getEncoder().encodeToString(bytes));
      case NdArray array -> array(array);
      case ArrowData table -> tagged("arrow", "base64", Base64.getEncoder().encodeToString(copy(table.bytes())));
      case Map<?, ?> map -> {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), toJson(v)));
        yield out;
      }
      case Collection<?> items -> {
        List<Object> out = new ArrayList<>(items.size());
        items.forEach(item -> out.add(toJson(item)));
        yield out;
      }
      default -> tagged("unknown", "text", value.toString());
    };
  }

  private static Map<String, Object> array(NdArray array) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("$type", "ndarray");
    out.put("dtype", array.dtype().wireName());
    out.put("shape", array.shape());
    out.put("data", switch (array.dtype()) {
      case BOOL -> array.toBooleanArray();
      case FLOAT16, FLOAT32, FLOAT64 -> array.toDoubleArray();
      default -> array.toLongArray();
    });
    return out;
  }

  private static Map<String, Object> tagged(String type, String key, Object value) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("$type", type);
    out.put(key, value);
    return out;
  }

  private static byte[] copy(ByteBuffer buffer) {
    ByteBuffer view = buffer.duplicate();
    byte[] out = new byte[view.remaining()];
    view.get(out);
    return out;
  }
}
