package dev.snakepit;

import dev.snakepit.NdArray.DType;
import java.nio.ByteBuffer;

/** Reads one element of an array's bytes as a long or a double, for the converting accessors. */
final class Elements {

  private Elements() {}

  /** Element {@code index} of an integer or bool array; unsigned dtypes are not sign-extended. */
  static long asLong(ByteBuffer data, DType dtype, int index) {
    int at = index * dtype.itemSize();
    return switch (dtype) {
      case BOOL, INT8 -> data.get(at);
      case UINT8 -> Byte.toUnsignedLong(data.get(at));
      case INT16 -> data.getShort(at);
      case UINT16 -> Short.toUnsignedLong(data.getShort(at));
      case INT32 -> data.getInt(at);
      case UINT32 -> Integer.toUnsignedLong(data.getInt(at));
      case INT64, UINT64 -> data.getLong(at);
      case FLOAT16 -> data.getShort(at);
      case FLOAT32 -> data.getInt(at);
      case FLOAT64 -> data.getLong(at);
    };
  }

  /** Element {@code index} as a double: floats widened, integers converted (uint64 as unsigned). */
  static double asDouble(ByteBuffer data, DType dtype, int index) {
    int at = index * dtype.itemSize();
    return switch (dtype) {
      case FLOAT16 -> Float.float16ToFloat(data.getShort(at));
      case FLOAT32 -> data.getFloat(at);
      case FLOAT64 -> data.getDouble(at);
      case UINT64 -> unsignedToDouble(data.getLong(at));
      default -> asLong(data, dtype, index);
    };
  }

  private static double unsignedToDouble(long bits) {
    double value = (double) (bits >>> 1) * 2.0;
    return bits >= 0 ? bits : value + (bits & 1);
  }
}
