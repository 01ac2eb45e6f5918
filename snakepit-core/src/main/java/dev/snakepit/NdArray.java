package dev.snakepit;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * An n-dimensional array of numbers or booleans: a dtype, a shape, and its elements in row-major (C)
 * order as raw bytes in a stated byte order. It crosses to Python as one tag and one attachment
 * (docs/protocol.md, section 3.3), never element by element, and arrives there as a
 * {@code numpy.ndarray} (or a {@code memoryview} where numpy is not installed). A numpy array a tool
 * returns arrives in Java as an {@code NdArray} over the received bytes, without a copy.
 *
 * <p>Making one: {@link #of(double[], long...)} and its siblings copy a primitive array once, in bulk;
 * {@link #wrap(DType, long[], ByteBuffer)} takes a buffer as it is, without copying. Primitive arrays
 * ({@code double[]}, {@code float[]}, {@code long[]}, {@code int[]}, {@code short[]}, {@code boolean[]})
 * and rectangular nested ones ({@code double[][]}, ...) passed as call arguments are sent as arrays
 * too: {@link #fromArray(Object)} is what they become.
 *
 * <p>Reading one: {@link #buffer()} is a read-only view of the bytes in their byte order (on JDK 22
 * and later, {@code MemorySegment.ofBuffer(array.buffer())} views the same memory as a segment);
 * {@link #toDoubleArray()}, {@link #toFloatArray()}, {@link #toLongArray()}, {@link #toIntArray()},
 * {@link #toShortArray()} and {@link #toBooleanArray()} copy the elements, flattened; {@link #toArray()}
 * copies them into a nested primitive array of the array's shape.
 *
 * <p>Immutable as far as this class goes: nothing here writes to the bytes. A wrapped buffer must not
 * be changed while the array is in use, or until a call that sends it has returned.
 */
public final class NdArray {

  /** The most dimensions an array may have, as in the protocol (and numpy before 2.0). */
  public static final int MAX_DIMENSIONS = 32;

  /** Element types, named as numpy names them on the wire. */
  public enum DType {
    /** One byte, 0 or 1; Java {@code boolean}. */
    BOOL("bool", 1),
    /** Java {@code byte}. */
    INT8("int8", 1),
    /** Read in Java as the {@code byte} of the same bits, or widened by the {@code to...} methods. */
    UINT8("uint8", 1),
    /** Java {@code short}. */
    INT16("int16", 2),
    /** Read in Java as the {@code short} of the same bits, or widened. */
    UINT16("uint16", 2),
    /** Java {@code int}. */
    INT32("int32", 4),
    /** Read in Java as the {@code int} of the same bits, or widened. */
    UINT32("uint32", 4),
    /** Java {@code long}. */
    INT64("int64", 8),
    /** Read in Java as the {@code long} of the same bits ({@code Long.toUnsignedString} prints it). */
    UINT64("uint64", 8),
    /** IEEE half precision; read in Java as {@code float} ({@code Float.float16ToFloat}). */
    FLOAT16("float16", 2),
    /** Java {@code float}. */
    FLOAT32("float32", 4),
    /** Java {@code double}. */
    FLOAT64("float64", 8);

    private final String wireName;
    private final int itemSize;

    DType(String wireName, int itemSize) {
      this.wireName = wireName;
      this.itemSize = itemSize;
    }

    /** The name on the wire and in numpy: {@code float64}, {@code int32}, ... */
    public String wireName() {
      return wireName;
    }

    /** Bytes per element. */
    public int itemSize() {
      return itemSize;
    }

    /** The dtype of a wire name; {@code null} for a name that is none of them. */
    public static DType fromWireName(String name) {
      for (DType type : values()) {
        if (type.wireName.equals(name)) {
          return type;
        }
      }
      return null;
    }

    /** All wire names, comma-separated, for messages. */
    static String names() {
      return String.join(", ", Arrays.stream(values()).map(DType::wireName).toList());
    }
  }

  private final DType dtype;
  private final long[] shape;
  private final ByteBuffer data; // position 0, limit = byte size, order = the array's byte order

  private NdArray(DType dtype, long[] shape, ByteBuffer data) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  /**
   * An array over the remaining bytes of {@code data}, in {@code data}'s byte order, without copying;
   * its position is not moved. An empty shape makes a zero-dimensional array of one element.
   *
   * @throws IllegalArgumentException when the shape has a negative dimension or more than
   *     {@link #MAX_DIMENSIONS}, or the bytes are not exactly the shape's element count times the item
   *     size
   */
  public static NdArray wrap(DType dtype, long[] shape, ByteBuffer data) {
    Objects.requireNonNull(dtype, "dtype");
    ByteBuffer bytes = data.slice().order(data.order());
    long[] dims = shape.clone();
    long count = elementCount(dims);
    if (count > Integer.MAX_VALUE || count * dtype.itemSize != bytes.remaining()) {
      throw new IllegalArgumentException("an array of dtype " + dtype.wireName + " and shape "
          + Arrays.toString(dims) + " needs " + count + " elements of " + dtype.itemSize
          + (dtype.itemSize == 1 ? " byte" : " bytes") + ", but the buffer has " + bytes.remaining()
          + " bytes");
    }
    return new NdArray(dtype, dims, bytes);
  }

  /** An array of {@code data}'s native-ordered bytes, one-dimensional unless a shape is given. */
  private static NdArray copied(DType dtype, ByteBuffer data, long[] shape) {
    return wrap(dtype, shape.length == 0 ? new long[] {data.limit() / dtype.itemSize} : shape, data);
  }

  /** A float64 array of a copy of {@code values}; one-dimensional unless a shape is given. */
  public static NdArray of(double[] values, long... shape) {
    ByteBuffer bytes = allocate(values.length, DType.FLOAT64);
    bytes.asDoubleBuffer().put(values);
    return copied(DType.FLOAT64, bytes, shape);
  }

  /** A float32 array of a copy of {@code values}; one-dimensional unless a shape is given. */
  public static NdArray of(float[] values, long... shape) {
    ByteBuffer bytes = allocate(values.length, DType.FLOAT32);
    bytes.asFloatBuffer().put(values);
    return copied(DType.FLOAT32, bytes, shape);
  }

  /** An int64 array of a copy of {@code values}; one-dimensional unless a shape is given. */
  public static NdArray of(long[] values, long... shape) {
    ByteBuffer bytes = allocate(values.length, DType.INT64);
    bytes.asLongBuffer().put(values);
    return copied(DType.INT64, bytes, shape);
  }

  /** An int32 array of a copy of {@code values}; one-dimensional unless a shape is given. */
  public static NdArray of(int[] values, long... shape) {
    ByteBuffer bytes = allocate(values.length, DType.INT32);
    bytes.asIntBuffer().put(values);
    return copied(DType.INT32, bytes, shape);
  }

  /** An int16 array of a copy of {@code values}; one-dimensional unless a shape is given. */
  public static NdArray of(short[] values, long... shape) {
    ByteBuffer bytes = allocate(values.length, DType.INT16);
    bytes.asShortBuffer().put(values);
    return copied(DType.INT16, bytes, shape);
  }

  /** An int8 array of a copy of {@code values}; one-dimensional unless a shape is given. */
  public static NdArray of(byte[] values, long... shape) {
    return copied(DType.INT8, ByteBuffer.wrap(values.clone()).order(ByteOrder.nativeOrder()), shape);
  }

  /** A bool array of {@code values}; one-dimensional unless a shape is given. */
  public static NdArray of(boolean[] values, long... shape) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) (values[i] ? 1 : 0);
    }
    return copied(DType.BOOL, ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()), shape);
  }

  /**
   * The array a primitive array stands for: {@code double[]} as float64, {@code float[]} float32,
   * {@code long[]} int64, {@code int[]} int32, {@code short[]} int16, {@code byte[]} int8 and
   * {@code boolean[]} bool; a rectangular nested one ({@code double[][]}, {@code int[][][]}, ...) with
   * its dimensions as the shape. Each innermost row is copied in bulk.
   *
   * @return {@code null} when {@code array} is not such an array, or is nested but ragged or has a
   *     {@code null} row
   */
  public static NdArray fromArray(Object array) {
    return NestedArrays.toNdArray(array);
  }

  public DType dtype() {
    return dtype;
  }

  /** The length of each dimension, outermost first; empty for a zero-dimensional (scalar) array. */
  public long[] shape() {
    return shape.clone();
  }

  public int ndim() {
    return shape.length;
  }

  /** The number of elements: the product of the shape, 1 for a zero-dimensional array. */
  public long size() {
    return elementCount(shape);
  }

  /** The size of the elements in bytes. */
  public int byteSize() {
    return data.limit();
  }

  public ByteOrder byteOrder() {
    return data.order();
  }

  /** A read-only view of the elements' bytes in row-major order, ordered as {@link #byteOrder()}. */
  public ByteBuffer buffer() {
    return data.asReadOnlyBuffer().order(data.order());
  }

  /**
   * The elements as doubles, flattened in row-major order: float64 copied in bulk; every other dtype
   * converted element by element (int64 and uint64 beyond 2^53 round; bool is 0.0 or 1.0).
   */
  public double[] toDoubleArray() {
    double[] out = new double[count()];
    if (dtype == DType.FLOAT64) {
      data.duplicate().order(data.order()).asDoubleBuffer().get(out);
      return out;
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = Elements.asDouble(data, dtype, i);
    }
    return out;
  }

  /** The elements of a float32 array (copied in bulk) or a float16 one (converted), flattened. */
  public float[] toFloatArray() {
    float[] out = new float[count()];
    if (dtype == DType.FLOAT32) {
      data.duplicate().order(data.order()).asFloatBuffer().get(out);
    } else if (dtype == DType.FLOAT16) {
      for (int i = 0; i < out.length; i++) {
        out[i] = Float.float16ToFloat(data.getShort(2 * i));
      }
    } else {
      throw wrongType("toFloatArray()", "float32 or float16");
    }
    return out;
  }

  /**
   * The elements of an integer array as longs, flattened: int64 and uint64 copied in bulk (uint64 as
   * the long of the same bits), narrower integers widened (unsigned ones without sign extension).
   */
  public long[] toLongArray() {
    long[] out = new long[count()];
    if (dtype == DType.INT64 || dtype == DType.UINT64) {
      data.duplicate().order(data.order()).asLongBuffer().get(out);
      return out;
    }
    requireInteger("toLongArray()", DType.UINT32);
    for (int i = 0; i < out.length; i++) {
      out[i] = Elements.asLong(data, dtype, i);
    }
    return out;
  }

  /**
   * The elements of an integer array of at most 32 bits as ints, flattened: int32 and uint32 copied in
   * bulk (uint32 as the int of the same bits), narrower integers widened.
   */
  public int[] toIntArray() {
    int[] out = new int[count()];
    if (dtype == DType.INT32 || dtype == DType.UINT32) {
      data.duplicate().order(data.order()).asIntBuffer().get(out);
      return out;
    }
    requireInteger("toIntArray()", DType.UINT16);
    for (int i = 0; i < out.length; i++) {
      out[i] = (int) Elements.asLong(data, dtype, i);
    }
    return out;
  }

  /** The elements of an int16 or uint16 array (bulk) or an int8 or uint8 one (widened), flattened. */
  public short[] toShortArray() {
    short[] out = new short[count()];
    if (dtype == DType.INT16 || dtype == DType.UINT16) {
      data.duplicate().order(data.order()).asShortBuffer().get(out);
      return out;
    }
    requireInteger("toShortArray()", DType.UINT8);
    for (int i = 0; i < out.length; i++) {
      out[i] = (short) Elements.asLong(data, dtype, i);
    }
    return out;
  }

  /** The elements of a bool array, flattened. */
  public boolean[] toBooleanArray() {
    if (dtype != DType.BOOL) {
      throw wrongType("toBooleanArray()", "bool");
    }
    boolean[] out = new boolean[count()];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.get(i) != 0;
    }
    return out;
  }

  /** A copy of the elements' raw bytes, in {@link #byteOrder()}. */
  public byte[] toBytes() {
    byte[] out = new byte[data.limit()];
    data.get(0, out);
    return out;
  }

  /**
   * The elements in a nested primitive array of this shape: {@code double[][]} for a two-dimensional
   * float64 array, {@code int[]} for a one-dimensional int32 or uint32 one. Unsigned dtypes give the
   * signed type of their width, float16 gives {@code float}, bool {@code boolean}. A zero-dimensional
   * array gives its one element, boxed.
   */
  public Object toArray() {
    return NestedArrays.fromNdArray(this);
  }

  /** The Java element type {@link #toArray()} uses. */
  Class<?> javaElementType() {
    return switch (dtype) {
      case BOOL -> boolean.class;
      case INT8, UINT8 -> byte.class;
      case INT16, UINT16 -> short.class;
      case INT32, UINT32 -> int.class;
      case INT64, UINT64 -> long.class;
      case FLOAT16, FLOAT32 -> float.class;
      case FLOAT64 -> double.class;
    };
  }

  /** The flat elements as a primitive array of {@link #javaElementType()}. */
  Object flatElements() {
    return switch (dtype) {
      case BOOL -> toBooleanArray();
      case INT8, UINT8 -> toBytes();
      case INT16, UINT16 -> toShortArray();
      case INT32, UINT32 -> toIntArray();
      case INT64, UINT64 -> toLongArray();
      case FLOAT16, FLOAT32 -> toFloatArray();
      case FLOAT64 -> toDoubleArray();
    };
  }

  /** Equal when dtype, shape and every element are the same, whatever the byte order. */
  @Override
  public boolean equals(Object other) {
    if (!(other instanceof NdArray that) || dtype != that.dtype || !Arrays.equals(shape, that.shape)) {
      return false;
    }
    if (data.order() == that.data.order()) {
      return data.equals(that.data);
    }
    Object mine = flatElements();
    Object theirs = that.flatElements();
    return Arrays.deepEquals(new Object[] {mine}, new Object[] {theirs});
  }

  @Override
  public int hashCode() {
    int hash = 31 * dtype.hashCode() + Arrays.hashCode(shape);
    int count = Math.min(count(), 16);
    for (int i = 0; i < count; i++) {
      hash = 31 * hash + Double.hashCode(Elements.asDouble(data, dtype, i));
    }
    return hash;
  }

  /** The dtype, shape and byte order; never the elements. */
  @Override
  public String toString() {
    return "NdArray[" + dtype.wireName + ", shape=" + Arrays.toString(shape) + ", "
        + (data.order() == ByteOrder.LITTLE_ENDIAN ? "little" : "big") + "-endian]";
  }

  private int count() {
    return data.limit() / dtype.itemSize;
  }

  private void requireInteger(String method, DType widest) {
    if (dtype.ordinal() < DType.INT8.ordinal() || dtype.ordinal() > widest.ordinal()) {
      throw wrongType(method, "an integer dtype no wider than " + widest.wireName);
    }
  }

  private IllegalStateException wrongType(String method, String wanted) {
    return new IllegalStateException(method + " needs " + wanted + ", but this array is "
        + dtype.wireName + (dtype == DType.FLOAT64 || dtype == DType.FLOAT32 ? "; use toDoubleArray()"
            : "; use toDoubleArray(), or toArray() for its own element type"));
  }

  private static ByteBuffer allocate(int count, DType dtype) {
    long bytes = (long) count * dtype.itemSize;
    if (bytes > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("an array of " + count + " " + dtype.wireName
          + " elements is " + bytes + " bytes, more than one buffer can hold");
    }
    return ByteBuffer.allocate((int) bytes).order(ByteOrder.nativeOrder());
  }

  /** The product of a shape, checking each dimension and the rank. */
  static long elementCount(long[] shape) {
    if (shape.length > MAX_DIMENSIONS) {
      throw new IllegalArgumentException("an array has at most " + MAX_DIMENSIONS
          + " dimensions, not " + shape.length);
    }
    long count = 1;
    for (long dimension : shape) {
      if (dimension < 0) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape)
            + " has a negative dimension");
      }
      if (dimension != 0 && count > Long.MAX_VALUE / dimension) {
        throw new IllegalArgumentException("shape " + Arrays.toString(shape)
            + " has more elements than a long can count");
      }
      count *= dimension;
    }
    return count;
  }
}
