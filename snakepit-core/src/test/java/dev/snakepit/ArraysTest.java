package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.NdArray.DType;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Arrays through real workers (docs/protocol.md, section 3.3): one pool receives them as numpy arrays,
 * the other, set to {@code PythonArrays.MEMORYVIEW}, as the standard library's memoryviews.
 */
@PoolTest
class ArraysTest {
  private static Snakepit numpy;
  private static Snakepit stdlib;

  @BeforeAll
  static void startPools() {
    numpy = TestPools.start(TestPools.testAdapter("arrays-numpy"));
    stdlib = TestPools.start(TestPools.testAdapter("arrays-stdlib")
        .pythonArrays(PoolConfig.PythonArrays.MEMORYVIEW));
  }

  @AfterAll
  static void closePools() {
    if (numpy != null) {
      numpy.close();
    }
    if (stdlib != null) {
      stdlib.close();
    }
  }

  static Stream<Arguments> everyDtype() {
    return Stream.of(DType.values()).flatMap(dtype -> Stream.of(Arguments.of(dtype, "numpy"),
        Arguments.of(dtype, "memoryview")));
  }

  @ParameterizedTest(name = "{0} through {1}")
  @MethodSource("everyDtype")
  void everyDtypeComesBackWithItsShapeAndBytes(DType dtype, String backend) {
    byte[] bytes = new byte[6 * dtype.itemSize()];
    new Random(dtype.ordinal()).nextBytes(bytes);
    if (dtype == DType.BOOL) {
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] &= 1;
      }
    }
    if (dtype == DType.FLOAT16 || dtype == DType.FLOAT32 || dtype == DType.FLOAT64) {
      bytes = finiteFloats(dtype);
    }
    NdArray sent = NdArray.wrap(dtype, new long[] {2, 3}, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));

    NdArray back = (NdArray) pool(backend).execute("echo", Map.of("value", sent));

    if (dtype == DType.FLOAT16 && backend.equals("memoryview")) {
      // memoryview has no half-float cast: the worker holds, and returns, the numbers as float32.
      assertThat(back.dtype()).isEqualTo(DType.FLOAT32);
      assertThat(back.toFloatArray()).containsExactly(sent.toFloatArray());
      return;
    }
    assertThat(back).isEqualTo(sent);
    assertThat(back.shape()).containsExactly(2, 3);
  }

  @Test
  void pythonReceivesNumpyArraysWithoutCopyingAndReadOnly() {
    Object info = numpy.execute("array_info", Map.of("x", new double[][] {{1, 2}, {3, 4}, {5, 6}}));

    assertThat(info).isEqualTo(Map.of("type", "numpy.ndarray", "element", "float64", "shape", List.of(3L, 2L),
        "writeable", false, "imported_numpy", true));
  }

  @Test
  void withoutNumpyPythonReceivesMemoryviewsAndNeverImportsIt() {
    Object info = stdlib.execute("array_info", Map.of("x", new int[] {1, 2, 3}));

    assertThat(info).isEqualTo(Map.of("type", "builtins.memoryview", "element", "i", "shape", List.of(3L),
        "writeable", false, "imported_numpy", false));
  }

  @Test
  void primitiveArraysArriveInJavaAsArraysOfTheirType() {
    assertThat(((NdArray) numpy.execute("echo", Map.of("value", new float[] {0.1f, 2f}))).toFloatArray())
        .containsExactly(0.1f, 2f);
    assertThat(((NdArray) numpy.execute("echo", Map.of("value", new long[] {Long.MIN_VALUE}))).toLongArray())
        .containsExactly(Long.MIN_VALUE);
    assertThat(((NdArray) stdlib.execute("echo", Map.of("value", new boolean[] {true, false}))).toBooleanArray())
        .containsExactly(true, false);
    assertThat((int[][]) ((NdArray) stdlib.execute("echo", Map.of("value", new int[][] {{1, 2}, {3, 4}}))).toArray())
        .isDeepEqualTo(new int[][] {{1, 2}, {3, 4}});
  }

  @Test
  void anArrayMadeInPythonArrivesAsAnNdArray() {
    NdArray ramp = (NdArray) numpy.execute("numpy_ramp", Map.of("n", 6, "dtype", "uint16"));

    assertThat(ramp.dtype()).isEqualTo(DType.UINT16);
    assertThat((short[][]) ramp.toArray()).isDeepEqualTo(new short[][] {{0, 1, 2}, {3, 4, 5}});
  }

  @Test
  void aBigEndianArrayIsReadAsTheSameNumbersOnBothSides() {
    ByteBuffer big = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN).putLong(1).putLong(-2).putLong(1L << 40).flip();
    NdArray sent = NdArray.wrap(DType.INT64, new long[] {3}, big);

    for (Snakepit pool : List.of(numpy, stdlib)) {
      NdArray back = (NdArray) pool.execute("echo", Map.of("value", sent));
      assertThat(back.toLongArray()).containsExactly(1, -2, 1L << 40);
    }
  }

  @Test
  void sixtyFourMebibytesComeBackIntact() {
    double[] values = new Random(64).doubles(8 << 20).toArray();

    NdArray back = (NdArray) numpy.execute("echo", Map.of("value", values));

    assertThat(back.byteSize()).isEqualTo(64 << 20);
    assertThat(back.toDoubleArray()).isEqualTo(values);
  }

  @Test
  void anArrayPythonCannotSendIsASerializationErrorAndThePoolServesOn() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> numpy.execute("numpy_ramp", Map.of("n", 4, "dtype", "complex64")));

    assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(e.getMessage()).contains("numpy array of dtype complex64 has no array form");
    assertThat(numpy.execute("add", Map.of("a", 1, "b", 2))).isEqualTo(3L);
  }

  private static Snakepit pool(String backend) {
    return backend.equals("numpy") ? numpy : stdlib;
  }

  /** Six finite floats of the dtype, so that equality by bytes and by value agree. */
  private static byte[] finiteFloats(DType dtype) {
    ByteBuffer out = ByteBuffer.allocate(6 * dtype.itemSize()).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = {0.5f, -1.25f, 3f, 0f, 1024f, -0.0f};
    for (float value : values) {
      switch (dtype) {
        case FLOAT16 -> out.putShort(Float.floatToFloat16(value));
        case FLOAT32 -> out.putFloat(value);
        default -> out.putDouble(value);
      }
    }
    return out.array();
  }
}
