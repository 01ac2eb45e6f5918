package dev.snakepit;

import dev.snakepit.NdArray.DType;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Between Java's primitive arrays, nested ones included, and {@link NdArray}. */
final class NestedArrays {

  private NestedArrays() {}

  /** The array a (possibly nested) primitive array stands for; {@code null} when it stands for none. */
  static NdArray toNdArray(Object array) {
    if (array == null || !array.getClass().isArray()) {
      return null;
    }
    List<Long> shape = new ArrayList<>();
    Class<?> type = array.getClass();
    while (type.isArray()) {
      type = type.getComponentType();
    }
    DType dtype = dtypeOf(type);
    if (dtype == null || !rectangular(array, 0, shape)) {
      return null;
    }
    long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
    if (dims.length > NdArray.MAX_DIMENSIONS) {
      return null;
    }
    long count = NdArray.elementCount(dims);
    if (count * dtype.itemSize() > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("an array of " + count + " " + dtype.wireName()
          + " elements is more than one buffer can hold");
    }
    ByteBuffer bytes = ByteBuffer.allocate((int) (count * dtype.itemSize())).order(ByteOrder.nativeOrder());
    copyRows(array, bytes);
    bytes.flip();
    return NdArray.wrap(dtype, dims, bytes);
  }

  private static DType dtypeOf(Class<?> element) {
    if (element == double.class) {
      return DType.FLOAT64;
    } else if (element == float.class) {
      return DType.FLOAT32;
    } else if (element == long.class) {
      return DType.INT64;
    } else if (element == int.class) {
      return DType.INT32;
    } else if (element == short.class) {
      return DType.INT16;
    } else if (element == byte.class) {
      return DType.INT8;
    } else if (element == boolean.class) {
      return DType.BOOL;
    }
    return null;
  }

  /**
   * Whether every sub-array at each level has the length of the first (recorded in {@code shape});
   * an empty level records 0 and, for the levels below it, 0 too.
   */
  private static boolean rectangular(Object array, int level, List<Long> shape) {
    int length = Array.getLength(array);
    if (shape.size() == level) {
      shape.add((long) length);
    } else if (shape.get(level) != length) {
      return false;
    }
    Class<?> component = array.getClass().getComponentType();
    if (!component.isArray()) {
      return true;
    }
    if (length == 0) {
      for (Class<?> below = component; below.isArray(); below = below.getComponentType()) {
        if (shape.size() == level + 1) {
          shape.add(0L);
        }
        level++;
      }
      return true;
    }
    Object[] rows = (Object[]) array;
    for (Object row : rows) {
      if (row == null || !rectangular(row, level + 1, shape)) {
        return false;
      }
    }
    return true;
  }

  private static void copyRows(Object array, ByteBuffer out) {
    switch (array) {
      case double[] row -> bulk(out, row.length * 8).asDoubleBuffer().put(row);
      case float[] row -> bulk(out, row.length * 4).asFloatBuffer().put(row);
      case long[] row -> bulk(out, row.length * 8).asLongBuffer().put(row);
      case int[] row -> bulk(out, row.length * 4).asIntBuffer().put(row);
      case short[] row -> bulk(out, row.length * 2).asShortBuffer().put(row);
      case byte[] row -> out.put(row);
      case boolean[] row -> {
        for (boolean b : row) {
          out.put((byte) (b ? 1 : 0));
        }
      }
      case Object[] rows -> {
        for (Object row : rows) {
          copyRows(row, out);
        }
      }
      default -> throw new IllegalArgumentException(array.getClass().getTypeName());
    }
  }

  /** A native-ordered slice of the next {@code bytes} bytes of {@code out}, which moves past them. */
  private static ByteBuffer bulk(ByteBuffer out, int bytes) {
    ByteBuffer slice = out.slice(out.position(), bytes).order(out.order());
    out.position(out.position() + bytes);
    return slice;
  }

  /** The elements of {@code array} in a nested primitive array of its shape. */
  static Object fromNdArray(NdArray array) {
    Object flat = array.flatElements();
    long[] shape = array.shape();
    if (shape.length == 0) {
      return Array.get(flat, 0);
    }
    int[] dims = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      dims[i] = (int) shape[i];
    }
    if (dims.length == 1) {
      return flat;
    }
    Object nested = Array.newInstance(array.javaElementType(), dims);
    fill(nested, flat, 0, dims, 0);
    return nested;
  }

  /** Copies rows of {@code flat} from {@code offset} into {@code nested}; returns the next offset. */
  private static int fill(Object nested, Object flat, int offset, int[] dims, int level) {
    int length = dims[level];
    if (level == dims.length - 1) {
      System.arraycopy(flat, offset, nested, 0, length);
      return offset + length;
    }
    Object[] rows = (Object[]) nested;
    for (Object row : rows) {
      offset = fill(row, flat, offset, dims, level + 1);
    }
    return offset;
  }
}
