package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.ExactValues.assertExactlyEqual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.NdArray;
import dev.snakepit.NdArray.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Array tags (docs/protocol.md, section 3.3) through the codec, both ways, and every malformed form. */
class ArrayTagsTest {
  private final ValueEncoder encoder = new ValueEncoder();
  private final ValueDecoder decoder = new ValueDecoder();

  @Test
  void aDoubleArrayIsOneTagAndOneAttachmentOfItsRawBytes() throws Exception {
    EncodedBody body = encoder.encode(new double[] {1.5, -2.0});

    assertThat(json(body)).isEqualTo(
        "{\"$nd\":{\"dtype\":\"float64\",\"shape\":[2],\"byteorder\":\"little\",\"data\":{\"$b\":0}}}");
    assertThat(body.tagged()).isTrue();
    ByteBuffer expected = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.5).putDouble(-2.0);
    assertThat(body.attachmentBytes()).containsExactly(expected.array());
  }

  @Test
  void primitiveArraysArriveAsArraysOfTheirDtype() throws Exception {
    assertExactlyEqual(roundTrip(new double[] {1.0, Double.NaN, -0.0}), NdArray.of(new double[] {1.0, Double.NaN, -0.0}));
    assertExactlyEqual(roundTrip(new float[] {0.1f}), NdArray.of(new float[] {0.1f}));
    assertExactlyEqual(roundTrip(new long[] {Long.MIN_VALUE}), NdArray.of(new long[] {Long.MIN_VALUE}));
    assertExactlyEqual(roundTrip(new int[] {1, -2}), NdArray.of(new int[] {1, -2}));
    assertExactlyEqual(roundTrip(new short[] {7}), NdArray.of(new short[] {7}));
    assertExactlyEqual(roundTrip(new boolean[] {true, false}), NdArray.of(new boolean[] {true, false}));
    assertExactlyEqual(roundTrip(new int[0]), NdArray.of(new int[0]));
    assertThat(((NdArray) roundTrip(new float[] {0.1f})).toFloatArray()).containsExactly(0.1f);
  }

  @Test
  void aByteArrayStaysBytes() throws Exception {
    assertExactlyEqual(roundTrip(new byte[] {1, 2}), new byte[] {1, 2});
  }

  @Test
  void aRectangularNestedArrayIsOneArrayWithItsShape() throws Exception {
    EncodedBody body = encoder.encode(new double[][] {{1, 2, 3}, {4, 5, 6}});

    assertThat(json(body)).contains("\"shape\":[2,3]");
    NdArray back = (NdArray) decode(body);
    assertThat(back.shape()).containsExactly(2, 3);
    assertThat((double[][]) back.toArray()).isDeepEqualTo(new double[][] {{1, 2, 3}, {4, 5, 6}});
    // Java allocates nothing below an empty level, so the dimensions below it are 0.
    assertThat(((NdArray) roundTrip(new int[2][0][4])).shape()).containsExactly(2, 0, 0);
    assertThat(((NdArray) roundTrip(new long[0][])).shape()).containsExactly(0, 0);
  }

  @Test
  void aRaggedNestedArrayIsAListOfArrays() throws Exception {
    Object back = roundTrip(new int[][] {{1, 2}, {3}});

    assertExactlyEqual(back, List.of(NdArray.of(new int[] {1, 2}), NdArray.of(new int[] {3})));
    assertExactlyEqual(roundTrip(new int[][] {{1}, null}), Arrays.asList(NdArray.of(new int[] {1}), null));
  }

  @Test
  void aBigEndianArrayKeepsItsOrderAndItsNumbers() throws Exception {
    ByteBuffer big = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putInt(1).putInt(-5).flip();
    NdArray array = NdArray.wrap(DType.INT32, new long[] {2}, big);

    EncodedBody body = encoder.encode(array);

    assertThat(json(body)).contains("\"byteorder\":\"big\"");
    NdArray back = (NdArray) decode(body);
    assertThat(back.byteOrder()).isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThat(back.toIntArray()).containsExactly(1, -5);
    assertThat(back).isEqualTo(NdArray.of(new int[] {1, -5}));
  }

  @Test
  void decodedArraysViewTheAttachmentWithoutACopy() throws Exception {
    byte[] data = new byte[16];
    NdArray array = (NdArray) decoder.decode(tag("uint8", "[4,4]", "little"), List.of(data), true);

    data[5] = 42;

    assertThat(array.buffer().get(5)).isEqualTo((byte) 42);
    assertThat(array.buffer().isReadOnly()).isTrue();
  }

  @Test
  void mapsThatLookLikeArrayTagsAreEscapedAndRestored() throws Exception {
    Map<String, Object> value = Map.of("$nd", Map.of("dtype", "int8"));
    EncodedBody body = encoder.encode(List.of(value, Map.of("$$nd", 1L), new int[] {1}));

    assertThat(json(body)).startsWith("[{\"$$nd\":{\"dtype\":\"int8\"}},{\"$$$nd\":1},{\"$nd\":");
    assertExactlyEqual(decode(body), List.of(value, Map.of("$$nd", 1L), NdArray.of(new int[] {1})));
    assertExactlyEqual(decoder.decode("{\"$nd\":1}".getBytes(StandardCharsets.UTF_8), List.of(), false),
        Map.of("$nd", 1L));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      not an object     | {"$nd":1}                                                                                   | 0 | must hold an object with exactly the members byteorder, data, dtype and shape; found 1
      a missing member  | {"$nd":{"dtype":"int8","shape":[1],"data":{"$b":0}}}                                       | 1 | found the members [dtype, shape, data]
      an unknown dtype  | {"$nd":{"dtype":"float128","shape":[1],"byteorder":"little","data":{"$b":0}}}              | 16 | has dtype "float128"; supported dtypes are bool, int8, uint8
      a negative shape  | {"$nd":{"dtype":"int8","shape":[-1],"byteorder":"little","data":{"$b":0}}}                 | 0 | has shape [-1]; a shape is a list of at most 32 non-negative integers
      a float in shape  | {"$nd":{"dtype":"int8","shape":[1.0],"byteorder":"little","data":{"$b":0}}}                | 1 | has shape [1.0]
      a bad byte order  | {"$nd":{"dtype":"int8","shape":[1],"byteorder":"middle","data":{"$b":0}}}                  | 1 | has byteorder "middle"; it must be "little" or "big"
      data not bytes    | {"$nd":{"dtype":"int8","shape":[1],"byteorder":"little","data":"AQ=="}}                    | -1 | must have a bytes tag as its data, not a string
      too few bytes     | {"$nd":{"dtype":"float64","shape":[2],"byteorder":"little","data":{"$b":0}}}               | 8 | needs 2 elements of 8 bytes, but the buffer has 8 bytes
      too many elements | {"$nd":{"dtype":"int8","shape":[4294967296,4294967296],"byteorder":"little","data":{"$b":0}}} | 1 | more elements than a long can count
      """)
  void malformedArrayTagsAreRefusedNamingTheRule(String name, String json, int attachment, String complaint) {
    List<byte[]> attachments = attachment < 0 ? List.of() : List.of(new byte[attachment]);

    ValueDecodingException e = catchThrowableOfType(ValueDecodingException.class,
        () -> decoder.decode(json.getBytes(StandardCharsets.UTF_8), attachments, true));

    assertThat(e.reason()).isEqualTo(ValueDecodingException.Reason.BAD_TAG);
    assertThat(e.getMessage()).startsWith("array tag at $ ").contains(complaint);
  }

  @Test
  void theErrorNamesThePathOfTheTagInsideTheBody() {
    byte[] body = "{\"x\":[{\"$nd\":{\"dtype\":\"int8\",\"shape\":[2],\"byteorder\":\"little\",\"data\":{\"$b\":0}}}]}"
        .getBytes(StandardCharsets.UTF_8);

    ValueDecodingException e = catchThrowableOfType(ValueDecodingException.class,
        () -> decoder.decode(body, List.of(new byte[1]), true));

    assertThat(e.path()).isEqualTo("$.x[0]");
    assertThat(e.getMessage()).startsWith("array tag at $.x[0] does not match its data");
  }

  private byte[] tag(String dtype, String shape, String order) {
    return ("{\"$nd\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"byteorder\":\"" + order
        + "\",\"data\":{\"$b\":0}}}").getBytes(StandardCharsets.UTF_8);
  }

  private Object roundTrip(Object value) throws Exception {
    return decode(encoder.encode(value));
  }

  private Object decode(EncodedBody body) throws Exception {
    return decoder.decode(body.jsonBytes(), body.attachmentBytes(), body.tagged());
  }

  private static String json(EncodedBody body) {
    return new String(body.jsonBytes(), StandardCharsets.UTF_8);
  }
}
