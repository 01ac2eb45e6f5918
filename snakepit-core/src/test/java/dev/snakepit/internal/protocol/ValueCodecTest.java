package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.ExactValues.assertExactlyEqual;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Java values through the encoder and back through the decoder: the types of docs/protocol.md, 3.1. */
class ValueCodecTest {

  private final ValueEncoder encoder = new ValueEncoder();
  private final ValueDecoder decoder = new ValueDecoder();

  @Test
  void sendsEveryJavaIntegerTypeAsAnIntegerThatComesBackAsLong() throws Exception {
    Object[] values = {(byte) -7, (short) 300, 70_000, 1L << 40, new AtomicInteger(5), new AtomicLong(-6),
        BigInteger.valueOf(12)};
    String[] texts = {"-7", "300", "70000", "1099511627776", "5", "-6", "12"};
    for (int i = 0; i < values.length; i++) {
      assertThat(json(values[i])).isEqualTo(texts[i]);
      assertExactlyEqual(roundTrip(values[i]), Long.parseLong(texts[i]));
    }
  }

  @Test
  void keepsLongAtTheLongBoundariesAndBigIntegerBeyondThem() throws Exception {
    BigInteger max = BigInteger.valueOf(Long.MAX_VALUE);
    BigInteger min = BigInteger.valueOf(Long.MIN_VALUE);

    assertExactlyEqual(roundTrip(Long.MAX_VALUE), Long.MAX_VALUE);
    assertExactlyEqual(roundTrip(Long.MIN_VALUE), Long.MIN_VALUE);
    assertExactlyEqual(roundTrip(max), Long.MAX_VALUE);
    assertExactlyEqual(roundTrip(max.add(BigInteger.ONE)), max.add(BigInteger.ONE));
    assertExactlyEqual(roundTrip(min.subtract(BigInteger.ONE)), min.subtract(BigInteger.ONE));
    BigInteger huge = BigInteger.TEN.pow(4299).negate(); // 4300 digits, the most allowed
    assertExactlyEqual(roundTrip(huge), huge);
  }

  @Test
  void writesDoublesSoThatTheyReadBackAsFloatsWithTheSameBits() throws Exception {
    double[] values = {1.0, -0.0, 0.0, 0.1, 1e300, 5e-324, Float.MIN_VALUE, Double.MAX_VALUE,
        Double.MIN_NORMAL, 1e16, 123456789.0, -2.5e-7, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY};
    for (double value : values) {
      String text = json(value);
      assertThat(text).as("text of %s", value).matches("-?(\\d+\\.\\d+(E-?\\d+)?|NaN|Infinity)");
      assertExactlyEqual(roundTrip(value), value);
    }
    assertThat(json(1.0)).isEqualTo("1.0");
    assertThat(json(-0.0)).isEqualTo("-0.0");
    assertThat(json(Double.NaN)).isEqualTo("NaN");
    assertThat(json(Double.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
  }

  @Test
  void sendsAFloatAsTheDoubleItsDecimalTextDenotes() throws Exception {
    assertThat(json(0.1f)).isEqualTo("0.1");
    assertExactlyEqual(roundTrip(0.1f), 0.1);
    assertExactlyEqual(roundTrip(Float.MIN_VALUE), 1.4e-45);
    assertExactlyEqual(roundTrip(-0.0f), -0.0);
    assertExactlyEqual(roundTrip(Float.NaN), Double.NaN);
    assertExactlyEqual(roundTrip(Float.POSITIVE_INFINITY), Double.POSITIVE_INFINITY);
    assertExactlyEqual(roundTrip(3.0f), 3.0);
  }

  @Test
  void sendsTextOfEveryKindAsStrings() throws Exception {
    String[] texts = {"", "plain \"quoted\" \\ text", "a\u0000b", "\t\n\r\u001f", "\u6f22\u5b57",
        "\ud83d\udc0d snake", "e\u0301", "\u2028\u2029", "</script>"};
    for (String text : texts) {
      assertExactlyEqual(roundTrip(text), text);
    }
    assertExactlyEqual(roundTrip(new StringBuilder("built")), "built");
    assertExactlyEqual(roundTrip(CharBuffer.wrap("buffered")), "buffered");
    assertExactlyEqual(roundTrip('x'), "x");
  }

  @Test
  void writesAstralCharactersAsFourUtf8BytesNotEscapes() throws Exception {
    byte[] body = encoder.encode("\ud83d\udc0d").jsonBytes();

    assertThat(HexFormat.of().formatHex(body)).isEqualTo("22f09f908d22");
  }

  @Test
  void sendsALoneSurrogateAsAnEscapeInValidUtf8AndGetsItBack() throws Exception {
    for (String text : List.of("\ud800", "x\udc00y", "ab\ud83d", "\udc0d\ud83d")) {
      EncodedBody body = encoder.encode(text);

      String wire = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body.jsonBytes())).toString();
      assertThat(wire).matches("\"[a-z]*(\\\\u[0-9A-F]{4}[a-z]*)+\"");
      assertExactlyEqual(decoder.decode(body.jsonBytes(), List.of(), body.tagged()), text);
    }
  }

  @Test
  void sendsBytesAsAttachmentsAndGetsTheSameBytesBack() throws Exception {
    byte[] image = {(byte) 0x89, 'P', 'N', 'G'};
    Map<String, Object> value = map("image", image, "empty", new byte[0], "list", List.of(new byte[] {1}));

    EncodedBody body = encoder.encode(value);

    assertThat(body.tagged()).isTrue();
    assertThat(new String(body.jsonBytes(), StandardCharsets.UTF_8))
        .isEqualTo("{\"image\":{\"$b\":0},\"empty\":{\"$b\":1},\"list\":[{\"$b\":2}]}");
    assertThat(body.attachments()).extracting(ByteBuffer::remaining).containsExactly(4, 0, 1);
    assertExactlyEqual(decoder.decode(body.jsonBytes(), body.attachmentBytes(), true), value);
  }

  @Test
  void sendsTheRemainingBytesOfAByteBufferWithoutMovingItsPosition() throws Exception {
    ByteBuffer heap = ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 4, 5}).position(2).limit(5);
    ByteBuffer direct = ByteBuffer.allocateDirect(4).put(new byte[] {9, 8, 7, 6}).position(1);

    EncodedBody body = encoder.encode(List.of(heap, direct, heap.asReadOnlyBuffer()));

    assertThat(heap.position()).isEqualTo(2);
    assertThat(direct.position()).isEqualTo(1);
    assertExactlyEqual(decoder.decode(body.jsonBytes(), body.attachmentBytes(), true),
        List.of(new byte[] {2, 3, 4}, new byte[] {8, 7, 6}, new byte[] {2, 3, 4}));
  }

  @Test
  void sendsCollectionsAndObjectArraysAsLists() throws Exception {
    assertExactlyEqual(roundTrip(new LinkedHashSet<>(List.of("b", "a"))), List.of("b", "a"));
    assertExactlyEqual(roundTrip(new ArrayDeque<>(List.of(1, 2))), List.of(1L, 2L));
    assertExactlyEqual(roundTrip(new Object[] {1, "x", null}), Arrays.asList(1L, "x", null));
    // Primitive arrays are array tags: ArrayTagsTest.
  }

  @Test
  void decodesToArrayListsAndLinkedHashMapsKeepingKeyOrder() throws Exception {
    Map<String, Object> value = map("z", 1, "a", map("inner", List.of()), "m", Map.of());

    Object back = roundTrip(value);

    assertThat(back).isInstanceOf(LinkedHashMap.class);
    assertThat(((Map<?, ?>) back).get("a")).isInstanceOf(LinkedHashMap.class);
    assertThat(((Map<?, ?>) ((Map<?, ?>) back).get("a")).get("inner")).isInstanceOf(ArrayList.class);
    assertExactlyEqual(back, map("z", 1L, "a", map("inner", List.of()), "m", map()));
    assertExactlyEqual(roundTrip(new TreeMap<>(Map.of("b", true, "a", false))), map("a", false, "b", true));
  }

  @Test
  void sendsNullBooleansAndNullBodies() throws Exception {
    assertThat(json(null)).isEqualTo("null");
    assertThat(roundTrip(null)).isNull();
    assertExactlyEqual(roundTrip(Arrays.asList(true, false, null)), Arrays.asList(true, false, null));
  }

  @Test
  void escapesSingleKeyMapsThatLookLikeTagsAndRestoresThem() throws Exception {
    Map<String, Object> value = map("meta", map("$b", 1), "deeper", map("$$b", "x"),
        "bytes", map("$b", new byte[] {5}), "two_keys", map("$b", 0, "other", 1),
        "not_lookalikes", List.of(map("$bb", 1), map("b", 1), map("$", 1), map("$b$", 1), map("b$b", 1)));

    EncodedBody body = encoder.encode(value);

    assertThat(body.tagged()).isTrue();
    assertThat(new String(body.jsonBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"meta\":{\"$$b\":1},"
        + "\"deeper\":{\"$$$b\":\"x\"},\"bytes\":{\"$$b\":{\"$b\":0}},\"two_keys\":{\"$b\":0,\"other\":1},"
        + "\"not_lookalikes\":[{\"$bb\":1},{\"b\":1},{\"$\":1},{\"$b$\":1},{\"b$b\":1}]}");
    assertExactlyEqual(decoder.decode(body.jsonBytes(), body.attachmentBytes(), true),
        map("meta", map("$b", 1L), "deeper", map("$$b", "x"), "bytes", map("$b", new byte[] {5}),
            "two_keys", map("$b", 0L, "other", 1L),
            "not_lookalikes", List.of(map("$bb", 1L), map("b", 1L), map("$", 1L), map("$b$", 1L), map("b$b", 1L))));
  }

  @Test
  void leavesTheTaggedFlagOffWhenNothingNeedsIt() throws Exception {
    EncodedBody body = encoder.encode(map("tool", "ping", "args", List.of(), "kwargs", map("$b", 0, "x", 1)));

    assertThat(body.tagged()).isFalse();
    assertThat(body.flags()).isZero();
    assertThat(body.attachmentCount()).isZero();
  }

  @Test
  void acceptsNestingUpToTheLimit() throws Exception {
    Object value = "leaf";
    for (int i = 0; i < ValueEncoder.MAX_DEPTH; i++) {
      value = i % 2 == 0 ? List.of(value) : map("k", value);
    }

    assertExactlyEqual(roundTrip(value), value);
  }

  @Test
  void sizesTheFrameThatWillCarryABody() throws Exception {
    EncodedBody body = encoder.encode(map("a", new byte[10], "b", new byte[5]));

    assertThat(body.frameBytes()).isEqualTo(24 + 2 * 4 + body.jsonLength() + 15);
    assertThat(body).hasToString("EncodedBody[json=" + body.jsonLength() + " bytes, attachments=2 (15 bytes),"
        + " tagged=true]");
  }

  private Object roundTrip(Object value) throws Exception {
    EncodedBody body = encoder.encode(value);
    return decoder.decode(body.jsonBytes(), body.attachmentBytes(), body.tagged());
  }

  private String json(Object value) throws Exception {
    return new String(encoder.encode(value).jsonBytes(), StandardCharsets.UTF_8);
  }

  /** A map in the order given; {@code Map.of} has no order. */
  static Map<String, Object> map(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }
}
