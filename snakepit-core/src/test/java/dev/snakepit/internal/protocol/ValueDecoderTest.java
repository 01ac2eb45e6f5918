package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.ExactValues.assertExactlyEqual;
import static dev.snakepit.internal.protocol.ValueCodecTest.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.internal.protocol.ValueDecodingException.Reason;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/** Bodies as Python writes them, including the ones a decoder must refuse. */
class ValueDecoderTest {

  private static final byte[] A = {1, 2};
  private static final byte[] B = {3};

  private final ValueDecoder decoder = new ValueDecoder();

  @Test
  void decodesAnEmptyBodyAsNull() throws Exception {
    assertThat(decoder.decode(new byte[0], List.of(), false)).isNull();
    assertThat(decoder.decode(new byte[0], List.of(), true)).isNull();
  }

  @Test
  void decodesPythonsEscapesAndRawUtf8Alike() throws Exception {
    assertExactlyEqual(decode("[\"\\ud83d\\udc0d\", \"\\u00e9\", \"\u00e9\", \"\\u0000\", \"\\/\"]"),
        List.of("\ud83d\udc0d", "\u00e9", "\u00e9", "\u0000", "/"));
    assertExactlyEqual(decode("\"\\ud800\""), "\ud800");
  }

  @Test
  void decodesNumbersToLongBigIntegerOrDouble() throws Exception {
    assertExactlyEqual(decode("[-0, 9223372036854775807, -9223372036854775808, 9223372036854775808]"),
        List.of(0L, Long.MAX_VALUE, Long.MIN_VALUE, new BigInteger("9223372036854775808")));
    assertExactlyEqual(decode("[-0.0, 1e400, 1E2, 2.5e-3, NaN, Infinity, -Infinity]"),
        List.of(-0.0, Double.POSITIVE_INFINITY, 100.0, 0.0025, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY));
  }

  @Test
  void keepsTheLastValueOfARepeatedKeyAtItsFirstPosition() throws Exception {
    assertExactlyEqual(decode("{\"a\":1,\"b\":2,\"a\":3}"), map("a", 3L, "b", 2L));
  }

  @Test
  void replacesTagsWithTheAttachmentArraysThemselves() throws Exception {
    Object value = decoder.decode(utf8("{\"x\":{\"$b\":1},\"y\":[{\"$b\":0}]}"), List.of(A, B), true);

    assertExactlyEqual(value, map("x", B, "y", List.of(A)));
    assertThat(((java.util.Map<?, ?>) value).get("x")).isSameAs(B);
  }

  @Test
  void resolvesATagThatIsTheWholeBody() throws Exception {
    assertThat(decoder.decode(utf8("{\"$b\":0}"), List.of(A), true)).isSameAs(A);
  }

  @Test
  void unescapesLookalikesOnlyInTaggedBodies() throws Exception {
    String body = "{\"x\":{\"$$b\":1},\"y\":{\"$$$b\":{\"$b\":0}},\"z\":{\"$b\":0,\"$b\":0}}";

    assertExactlyEqual(decoder.decode(utf8(body), List.of(A), true),
        map("x", map("$b", 1L), "y", map("$$b", A), "z", map("$b", 0L)));
    assertExactlyEqual(decoder.decode(utf8("{\"x\":{\"$b\":0},\"y\":{\"$$b\":1}}"), List.of(), false),
        map("x", map("$b", 0L), "y", map("$$b", 1L)));
  }

  @Test
  void refusesTagsThatNameNoAttachment() {
    for (String tag : List.of("1", "-1", "\"0\"", "0.0", "true", "null", "[0]", "{\"$b\":0}",
        "18446744073709551616")) {
      refusal("{\"args\":[7,{\"$b\":" + tag + "}]}", List.of(A), true, Reason.BAD_TAG, "$.args[1]")
          .hasMessageContaining("bytes tag at $.args[1] holds ")
          .hasMessageContaining("not the index of one of the frame's 1 attachments");
    }
  }

  @Test
  void refusesAnAttachmentReferencedTwiceOrNever() {
    refusal("[{\"$b\":0},{\"$b\":0}]", List.of(A), true, Reason.BAD_TAG, "$[1]")
        .hasMessageContaining("refers to attachment 0, which an earlier tag already took");
    refusal("[{\"$b\":1}]", List.of(A, B), true, Reason.BAD_TAG, null)
        .hasMessage("attachment 0 of 2 is not referenced by the body; each must be referenced once");
    refusal("", List.of(A), true, Reason.BAD_TAG, null);
  }

  @Test
  void refusesAttachmentsOnAnUntaggedFrame() {
    refusal("{\"$b\":0}", List.of(A), false, Reason.BAD_TAG, null)
        .hasMessage("the frame carries 1 attachment but no TAGGED flag, so no tag can refer to them");
  }

  @Test
  void refusesMalformedJsonNamingWhereItBroke() {
    refusal("{\"a\":[1,}", List.of(), false, Reason.MALFORMED_JSON, "$.a[1]")
        .hasMessageStartingWith("malformed JSON body at $.a[1] (byte 8): Unexpected character ('}'");
    refusal("{\"a\":1", List.of(), false, Reason.MALFORMED_JSON, "$.a");
    refusal("{\"a\":1} {}", List.of(), false, Reason.MALFORMED_JSON, "$")
        .hasMessage("the body continues after its JSON value, at byte 8");
    refusal("  ", List.of(), false, Reason.MALFORMED_JSON, "$")
        .hasMessage("the body holds no JSON value, only 2 bytes of whitespace");
    refusal("[01]", List.of(), false, Reason.MALFORMED_JSON, "$[0]");
    refusal("{'a':1}", List.of(), false, Reason.MALFORMED_JSON, "$");
  }

  @Test
  void refusesInvalidUtf8() {
    byte[] body = {'"', (byte) 0xFF, '"'};

    assertThatThrownBy(() -> decoder.decode(body, List.of(), false))
        .isInstanceOfSatisfying(ValueDecodingException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_JSON))
        .hasMessageContaining("Invalid UTF-8");
  }

  @Test
  void neverQuotesTheBodyInItsMessages() {
    String secret = "0123456789abcdef0123456789abcdef";

    refusal("{\"token\":\"" + secret + "\",}", List.of(), false, Reason.MALFORMED_JSON, "$.token")
        .message().doesNotContain(secret);
  }

  @Test
  void acceptsNestingUpToItsLimitAndRefusesDeeper() throws Exception {
    int limit = ValueDecoder.MAX_DEPTH;
    assertThat(decode("[".repeat(limit) + "]".repeat(limit))).isInstanceOf(List.class);

    refusal("{\"v\":" + "[".repeat(limit) + "]".repeat(limit) + "}", List.of(), false, Reason.TOO_DEEP,
        "$.v" + "[0]".repeat(limit - 1))
        .hasMessageStartingWith("body nested deeper than " + limit + " levels at $.v[0]");
  }

  @Test
  void acceptsAnIntegerOf4300DigitsEitherSign() throws Exception {
    String longest = "9".repeat(JsonDialect.MAX_INTEGER_DIGITS);

    assertExactlyEqual(decode("[-" + longest + "," + longest + "]"),
        List.of(new BigInteger("-" + longest), new BigInteger(longest)));
  }

  @Test
  void refusesAnIntegerOf4301DigitsNamingItsPathItsDigitsAndTheRule() {
    String refused = "1" + "0".repeat(JsonDialect.MAX_INTEGER_DIGITS);
    String rule = "is longer than the protocol allows (at most 4300 digits, the sign not counted)";

    refusal(refused, List.of(), false, Reason.NUMBER_TOO_LONG, "$")
        .hasMessage("integer of 4301 digits at $ " + rule);
    refusal("{\"value\":{\"x\":-" + refused + "}}", List.of(), false, Reason.NUMBER_TOO_LONG, "$.value.x")
        .hasMessage("integer of 4301 digits at $.value.x " + rule);
    refusal("{\"value\":[1,{\"b\":{\"$b\":0},\"n\":[" + "7".repeat(1_000_000) + "]}]}",
        List.of(new byte[1]), true, Reason.NUMBER_TOO_LONG, "$.value[1].n[0]")
        .hasMessage("integer of 1000000 digits at $.value[1].n[0] " + rule);
  }

  private Object decode(String body) throws ValueDecodingException {
    return decoder.decode(utf8(body), List.of(), false);
  }

  private AbstractThrowableAssert<?, ?> refusal(String body, List<byte[]> attachments, boolean tagged,
      Reason reason, String path) {
    return assertThatThrownBy(() -> decoder.decode(utf8(body), attachments, tagged))
        .isInstanceOfSatisfying(ValueDecodingException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.path()).isEqualTo(path);
        });
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
