package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.ValueCodecTest.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.internal.protocol.ValueEncodingException.Reason;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/** What the encoder refuses, and how precisely it says where and why. */
class ValueEncoderTest {

  private static final String SUPPORTED = "supported types are null, Boolean, integers, Float/Double, "
      + "strings, byte[]/ByteBuffer, NdArray and primitive arrays, ArrowData, collections, Object[] and maps with"
      + " String keys";

  private final ValueEncoder encoder = new ValueEncoder();

  @Test
  void refusesAnUnsupportedTypeNamingItsPathAndType() {
    Object body = map("tool", "t", "kwargs", map("when", Instant.EPOCH));

    refusal(body, Reason.UNSUPPORTED_TYPE, "$.kwargs.when", "java.time.Instant")
        .hasMessage("cannot send java.time.Instant at $.kwargs.when: " + SUPPORTED);
  }

  @Test
  void writesPathsWithIndicesAndQuotedKeys() {
    refusal(map("args", List.of(1, 2, Optional.empty())), Reason.UNSUPPORTED_TYPE, "$.args[2]",
        "java.util.Optional");
    refusal(map("my key", map("x\"y", new Object())), Reason.UNSUPPORTED_TYPE, "$[\"my key\"][\"x\\\"y\"]",
        "java.lang.Object");
    refusal(map("\u00e9t\u00e9_2", List.of(List.of(Thread.State.NEW))), Reason.UNSUPPORTED_TYPE,
        "$.\u00e9t\u00e9_2[0][0]", "java.lang.Thread$State");
    refusal(map("", 1, "1a", TimeUnit.SECONDS), Reason.UNSUPPORTED_TYPE, "$[\"1a\"]",
        "java.util.concurrent.TimeUnit");
    refusal(new Object(), Reason.UNSUPPORTED_TYPE, "$", "java.lang.Object");
  }

  @Test
  void refusesBigDecimalWithAHint() {
    refusal(map("price", new BigDecimal("1.10")), Reason.UNSUPPORTED_TYPE, "$.price", "java.math.BigDecimal")
        .hasMessageEndingWith("; convert a BigDecimal to double (doubleValue()) or to String");
  }

  @Test
  void refusesCharArraysRatherThanGuessingTextOrList() {
    refusal(map("chars", new char[] {'h', 'i'}), Reason.UNSUPPORTED_TYPE, "$.chars", "char[]")
        .hasMessageContaining("cannot send char[] at $.chars")
        .hasMessageEndingWith("; send text as new String(chars), or the characters as a List");
  }

  @Test
  void refusesEnumsAndIterablesWithHints() {
    refusal(List.of(TimeUnit.SECONDS), Reason.UNSUPPORTED_TYPE, "$[0]", "java.util.concurrent.TimeUnit")
        .hasMessageEndingWith("; send an enum as its name()");
    Iterable<String> iterable = List.of("a")::iterator;
    refusal(List.of(iterable), Reason.UNSUPPORTED_TYPE, "$[0]", iterable.getClass().getTypeName())
        .hasMessageEndingWith("; copy an Iterable into a List");
  }

  @Test
  void refusesANonStringKeyNamingItsTypeAndTheMapsPath() {
    Map<Object, Object> points = new HashMap<>();
    points.put(1, "one");

    refusal(map("kwargs", map("points", points)), Reason.NON_STRING_KEY, "$.kwargs.points", "java.lang.Integer")
        .hasMessage("map key 1 of type java.lang.Integer at $.kwargs.points is not a String;"
            + " maps must have String keys, other keys are not converted");
  }

  @Test
  void refusesANullKey() {
    Map<String, Object> withNull = new HashMap<>();
    withNull.put(null, 1);

    refusal(List.of(withNull), Reason.NON_STRING_KEY, "$[0]", "null")
        .hasMessageStartingWith("map key null of type null at $[0]");
  }

  @Test
  void refusesNestingBeyondTheLimit() {
    Object value = 1;
    for (int i = 0; i <= ValueEncoder.MAX_DEPTH; i++) {
      value = List.of(value);
    }

    refusal(value, Reason.TOO_DEEP, "$" + "[0]".repeat(ValueEncoder.MAX_DEPTH), "java.util.ImmutableCollections$List12")
        .hasMessageStartingWith("value nested deeper than 500 levels at $[0][0]")
        .hasMessageEndingWith(" (or a collection that contains itself)");
  }

  @Test
  void refusesACollectionThatContainsItselfInsteadOfOverflowingTheStack() {
    List<Object> loop = new ArrayList<>();
    loop.add(loop);
    Map<String, Object> cycle = new HashMap<>();
    cycle.put("self", cycle);

    refusal(loop, Reason.TOO_DEEP, "$" + "[0]".repeat(ValueEncoder.MAX_DEPTH), "java.util.ArrayList");
    refusal(cycle, Reason.TOO_DEEP, "$" + ".self".repeat(ValueEncoder.MAX_DEPTH), "java.util.HashMap");
  }

  @Test
  void sendsAnIntegerOf4300DigitsEitherSign() throws Exception {
    BigInteger longest = BigInteger.TEN.pow(JsonDialect.MAX_INTEGER_DIGITS).subtract(BigInteger.ONE);

    assertThat(encoder.encode(longest).jsonLength()).isEqualTo(4300);
    assertThat(encoder.encode(longest.negate()).jsonLength()).isEqualTo(4301);
    assertThat(encoder.encode(map("kwargs", map("x", List.of(longest.negate())))).jsonLength())
        .isEqualTo("{\"kwargs\":{\"x\":[-]}}".length() + 4300);
  }

  @Test
  void refusesAnIntegerOf4301DigitsNamingItsPathItsDigitsAndTheRule() {
    BigInteger shortestRefused = BigInteger.TEN.pow(JsonDialect.MAX_INTEGER_DIGITS);
    String rule = "is longer than the protocol allows (at most 4300 digits, the sign not counted)";

    refusal(shortestRefused, Reason.NUMBER_TOO_LONG, "$", "java.math.BigInteger")
        .hasMessage("integer of 4301 digits at $ " + rule);
    refusal(map("kwargs", map("x", shortestRefused.negate())), Reason.NUMBER_TOO_LONG, "$.kwargs.x",
        "java.math.BigInteger")
        .hasMessage("integer of 4301 digits at $.kwargs.x " + rule);
    refusal(map("args", List.of(1, map("rows", List.of(2, BigInteger.TEN.pow(9999).negate())))),
        Reason.NUMBER_TOO_LONG, "$.args[1].rows[1]", "java.math.BigInteger")
        .hasMessage("integer of 10000 digits at $.args[1].rows[1] " + rule);
  }

  private AbstractThrowableAssert<?, ?> refusal(Object body, Reason reason, String path, String typeName) {
    return assertThatThrownBy(() -> encoder.encode(body))
        .isInstanceOfSatisfying(ValueEncodingException.class, e -> {
          assertThat(e.reason()).isEqualTo(reason);
          assertThat(e.path()).isEqualTo(path);
          assertThat(e.typeName()).isEqualTo(typeName);
        });
  }
}
