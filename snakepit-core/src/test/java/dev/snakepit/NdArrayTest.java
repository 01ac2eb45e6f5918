package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.NdArray.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class NdArrayTest {

  @Test
  void factoriesCopyOnceAndDefaultToOneDimension() {
    double[] values = {1, 2, 3, 4, 5, 6};
    NdArray array = NdArray.of(values, 2, 3);
    values[0] = 99;

    assertThat(array.dtype()).isEqualTo(DType.FLOAT64);
    assertThat(array.shape()).containsExactly(2, 3);
    assertThat(array.ndim()).isEqualTo(2);
    assertThat(array.size()).isEqualTo(6);
    assertThat(array.byteSize()).isEqualTo(48);
    assertThat(array.toDoubleArray()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(NdArray.of(new int[] {1, 2}).shape()).containsExactly(2);
    assertThat(NdArray.of(new byte[] {1}).dtype()).isEqualTo(DType.INT8);
  }

  @Test
  void aShapeThatDoesNotMatchTheElementsIsRefused() {
    assertThatThrownBy(() -> NdArray.of(new double[5], 2, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("an array of dtype float64 and shape [2, 3] needs 6 elements of 8 bytes, but the "
            + "buffer has 40 bytes");
    assertThatThrownBy(() -> NdArray.of(new int[0], -1, 0)).hasMessageContaining("negative dimension");
    assertThatThrownBy(() -> NdArray.of(new int[1], new long[33])).hasMessageContaining("at most 32");
  }

  @Test
  void wrapViewsTheBufferWithoutCopyingAndKeepsItsOrder() {
    ByteBuffer buffer = ByteBuffer.allocateDirect(8).order(ByteOrder.BIG_ENDIAN).putShort((short) 1)
        .putShort((short) 2).putShort((short) 3).putShort((short) 4).flip();
    NdArray array = NdArray.wrap(DType.INT16, new long[] {2, 2}, buffer);

    buffer.putShort(0, (short) 7);

    assertThat(array.byteOrder()).isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThat(array.toShortArray()).containsExactly(7, 2, 3, 4);
    assertThat(array.buffer().isReadOnly()).isTrue();
    assertThat(buffer.position()).isZero();
    NdArray scalar = NdArray.wrap(DType.FLOAT64, new long[0], ByteBuffer.allocate(8).putDouble(0, 2.5));
    assertThat(scalar.ndim()).isZero();
    assertThat(scalar.size()).isOne();
    assertThat(scalar.toArray()).isEqualTo(2.5);
  }

  @Test
  void convertingAccessorsWidenOrRefuseNamingTheDtype() {
    NdArray bytes = NdArray.wrap(DType.UINT8, new long[] {2}, ByteBuffer.wrap(new byte[] {(byte) 255, 1}));
    assertThat(bytes.toIntArray()).containsExactly(255, 1);
    assertThat(bytes.toLongArray()).containsExactly(255, 1);
    assertThat(bytes.toShortArray()).containsExactly((short) 255, (short) 1);
    assertThat(bytes.toDoubleArray()).containsExactly(255, 1);
    assertThat((byte[]) bytes.toArray()).containsExactly((byte) -1, (byte) 1);

    NdArray unsigned = NdArray.wrap(DType.UINT64, new long[] {1},
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L));
    assertThat(unsigned.toLongArray()).containsExactly(-1L);
    assertThat(unsigned.toDoubleArray()).containsExactly(1.8446744073709552E19);

    NdArray half = NdArray.wrap(DType.FLOAT16, new long[] {1},
        ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, Float.floatToFloat16(1.5f)));
    assertThat(half.toFloatArray()).containsExactly(1.5f);

    NdArray doubles = NdArray.of(new double[] {0.5});
    assertThatThrownBy(doubles::toIntArray).isInstanceOf(IllegalStateException.class)
        .hasMessage("toIntArray() needs an integer dtype no wider than uint16, but this array is float64; "
            + "use toDoubleArray()");
    assertThatThrownBy(doubles::toBooleanArray).hasMessageContaining("needs bool");
    assertThatThrownBy(NdArray.of(new long[] {1})::toIntArray).hasMessageContaining("this array is int64");
    assertThat(NdArray.of(new boolean[] {true, false}).toBooleanArray()).containsExactly(true, false);
    assertThat(NdArray.of(new boolean[] {true}).toDoubleArray()).containsExactly(1.0);
  }

  @Test
  void fromArrayTakesRectangularNestedArraysAndNothingElse() {
    NdArray cube = NdArray.fromArray(new float[][][] {{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
    assertThat(cube.shape()).containsExactly(2, 2, 2);
    assertThat(cube.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat((float[][][]) cube.toArray()).isDeepEqualTo(new float[][][] {{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
    assertThat(NdArray.fromArray(new int[][] {{1}, {2, 3}})).isNull();
    assertThat(NdArray.fromArray(new int[][] {{1}, null})).isNull();
    assertThat(NdArray.fromArray(new Object[] {new int[] {1}})).isNull();
    assertThat(NdArray.fromArray(new String[] {"a"})).isNull();
    assertThat(NdArray.fromArray("not an array")).isNull();
    assertThat(NdArray.fromArray(new long[3][0]).shape()).containsExactly(3, 0);
  }

  @Test
  void equalityIsByDtypeShapeAndElementsWhateverTheByteOrder() {
    ByteBuffer big = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putInt(1).putInt(2).flip();
    NdArray bigEndian = NdArray.wrap(DType.INT32, new long[] {2}, big);
    NdArray little = NdArray.of(new int[] {1, 2});

    assertThat(bigEndian).isEqualTo(little).hasSameHashCodeAs(little);
    assertThat(little).isNotEqualTo(NdArray.of(new int[] {1, 2}, 2, 1));
    assertThat(little).isNotEqualTo(NdArray.of(new long[] {1, 2}));
    assertThat(little.toString()).isEqualTo("NdArray[int32, shape=[2], little-endian]");
  }
}
