package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Values sent to Python and back through the {@code echo} tool arrive as the documented Java type
 * with the same value (docs/protocol.md, section 3.1): nothing changes type or value silently.
 */
@PoolTest
class ValuesRoundTripTest {
  private static final String DIGITS_RULE =
      "is longer than the protocol allows (at most 4300 digits, the sign not counted)";

  private static final RecordingListener events = new RecordingListener();
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.demo("values").listener(events));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  /** A value that comes back as itself. */
  static Stream<Arguments> sameValue() {
    return Stream.of(
        named("null", null),
        named("true", true),
        named("false", false),
        named("zero", 0L),
        named("minus one", -1L),
        named("Long.MAX_VALUE", Long.MAX_VALUE),
        named("Long.MIN_VALUE", Long.MIN_VALUE),
        named("2^53 + 1, beyond a double's precision", (1L << 53) + 1),
        named("2^64", BigInteger.TWO.pow(64)),
        named("Long.MAX_VALUE + 1", BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE)),
        named("Long.MIN_VALUE - 1", BigInteger.valueOf(Long.MIN_VALUE).subtract(BigInteger.ONE)),
        named("-(2^200)", BigInteger.TWO.pow(200).negate()),
        named("a 1000-digit integer", new BigInteger("9".repeat(1000))),
        named("a 4300-digit integer, the longest allowed", new BigInteger("9".repeat(4300))),
        named("a negative 4300-digit integer", new BigInteger("-" + "9".repeat(4300))),
        named("0.0", 0.0),
        named("-0.0", -0.0),
        named("1.0 (stays a float)", 1.0),
        named("0.1", 0.1),
        named("-2.5e-300", -2.5e-300),
        named("Double.MIN_VALUE", Double.MIN_VALUE),
        named("Double.MAX_VALUE", Double.MAX_VALUE),
        named("1e22 (written with an exponent)", 1e22),
        named("NaN", Double.NaN),
        named("Infinity", Double.POSITIVE_INFINITY),
        named("-Infinity", Double.NEGATIVE_INFINITY),
        named("empty string", ""),
        named("ASCII", "hello, world"),
        named("Latin, Greek, CJK", "héllo wörld αβγ 日本語"),
        named("astral code points", "\uD834\uDD1E music, \uD83D\uDE00 face, \uD83C\uDDEB\uD83C\uDDF7 flag"),
        named("NUL and control characters", "a\u0000b\u0001\u001f\n\t\r\"\\/"),
        named("U+2028 and U+2029", "line\u2028para\u2029end"),
        named("lone surrogates, which Java strings and Python str both allow", "a\uD800b\uDC00"),
        named("empty bytes", new byte[0]),
        named("all 256 byte values", allByteValues()),
        named("1 MiB of random bytes", randomBytes(1 << 20)),
        named("empty list", List.of()),
        named("mixed list", Arrays.asList(1L, "two", 3.0, null, true, new byte[] {4})),
        named("empty map", Map.of()),
        named("map keeping key order", orderedMap("zeta", 1L, "alpha", 2L, "mu", 3L, "", 4L)),
        named("map with non-ASCII keys", orderedMap("ключ", "value", "\uD83D\uDD11", 1L)),
        named("nested containers", orderedMap(
            "list", List.of(List.of(), List.of(Map.of("deep", List.of(1L, 2L)))),
            "bytes", List.of(new byte[] {1, 2}, new byte[] {3}),
            "map", orderedMap("x", null, "y", orderedMap("z", 1.5)))),
        named("a bytes tag look-alike {$b: 1}", Map.of("$b", 1L)),
        named("an escaped tag look-alike {$$b: 0}", Map.of("$$b", 0L)),
        named("{$b: 'text'}", Map.of("$b", "text")),
        named("{$$$b: [0]}", Map.of("$$$b", List.of(0L))),
        named("tag look-alikes beside real bytes",
            orderedMap("data", new byte[] {9, 8, 7}, "fake", Map.of("$b", 0L), "fake2", Map.of("$$b", 1L))),
        named("a map with $b and another key", orderedMap("$b", 0L, "other", 1L)),
        named("100 levels of nesting", nested(100)));
  }

  private static Arguments named(String name, Object value) {
    return Arguments.of(name, value);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sameValue")
  void aValueComesBackAsItself(String name, Object value) {
    assertSameValue(pool.execute("echo", singleValue(value)), value);
  }

  /** Java types that Python has no counterpart for arrive as the documented Java type. */
  static Stream<Arguments> mappedValue() {
    return Stream.of(
        Arguments.of("Integer becomes Long", 42, 42L),
        Arguments.of("Short becomes Long", (short) -7, -7L),
        Arguments.of("Byte becomes Long", (byte) 127, 127L),
        Arguments.of("AtomicInteger becomes Long", new AtomicInteger(5), 5L),
        Arguments.of("AtomicLong becomes Long", new AtomicLong(Long.MIN_VALUE), Long.MIN_VALUE),
        Arguments.of("a BigInteger within the long range becomes Long", BigInteger.valueOf(12345), 12345L),
        Arguments.of("Float becomes the Double of its decimal text", 0.1f, 0.1),
        Arguments.of("Float NaN becomes Double NaN", Float.NaN, Double.NaN),
        Arguments.of("Character becomes String", '\u00e9', "\u00e9"),
        Arguments.of("StringBuilder becomes String", new StringBuilder("built"), "built"),
        Arguments.of("ByteBuffer becomes byte[] of its remaining bytes",
            ByteBuffer.wrap(new byte[] {1, 2, 3, 4}).position(1), new byte[] {2, 3, 4}),
        Arguments.of("Object[] becomes List", new Object[] {1, "a"}, List.of(1L, "a")),
        Arguments.of("int[] becomes an int32 NdArray", new int[] {1, -2}, NdArray.of(new int[] {1, -2})),
        Arguments.of("double[] becomes a float64 NdArray", new double[] {0.5, -0.0}, NdArray.of(new double[] {0.5, -0.0})),
        Arguments.of("double[][] becomes a two-dimensional NdArray", new double[][] {{1}, {2}},
            NdArray.of(new double[] {1, 2}, 2, 1)),
        Arguments.of("a ragged int[][] becomes a List of NdArray", new int[][] {{1}, {2, 3}},
            List.of(NdArray.of(new int[] {1}), NdArray.of(new int[] {2, 3}))),
        Arguments.of("a Set becomes a List in iteration order", new LinkedHashSet<>(List.of("b", "a")), List.of("b", "a")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mappedValue")
  void aJavaTypeWithoutPythonCounterpartArrivesAsTheDocumentedType(String name, Object sent, Object expected) {
    assertSameValue(pool.execute("echo", singleValue(sent)), expected);
  }

  @Test
  void anIntegerOf4301DigitsIsRefusedInJavaBeforeAnythingReachesAWorker() {
    int checkouts = events.ofType("checkoutStart").size();
    List<Long> pids = pool.workerPids();
    BigInteger refused = BigInteger.TEN.pow(4300).negate();

    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute("echo", Map.of("value", List.of(1, Map.of("n", refused)))));

    assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(e.getMessage()).contains("'echo'", "integer of 4301 digits at $.kwargs.value[1].n " + DIGITS_RULE);
    assertThat(events.ofType("checkoutStart")).as("the call never went to a worker").hasSize(checkouts);
    assertSameValue(pool.execute("echo", singleValue(refused.add(BigInteger.ONE))), refused.add(BigInteger.ONE));
    assertThat(pool.workerPids()).isEqualTo(pids);
  }

  @Test
  void anIntegerOf4301DigitsMadeInPythonIsRefusedByTheWorkerAndTheWorkerServesOn() {
    List<Long> pids = pool.workerPids();
    BigInteger longest = BigInteger.TEN.pow(4300).subtract(BigInteger.ONE);

    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute("add", Map.of("a", longest, "b", 1)));

    assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(e.getMessage()).contains("'add'", "$.value: integer of 4301 digits " + DIGITS_RULE);
    assertThat(pool.execute("add", Map.of("a", longest, "b", 0))).isEqualTo(longest);
    assertThat(pool.workerPids()).isEqualTo(pids);
  }

  @Test
  void bytesMadeInPythonArriveAsByteArrays() {
    byte[] expected = new byte[300];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = (byte) (i % 256);
    }

    assertSameValue(pool.execute("make_bytes", Map.of("n", 300)), expected);
  }

  @Test
  void bytesSentFromJavaArriveInPythonAsBytes() {
    assertThat(pool.execute("bytes_len", Map.of("data", randomBytes(70_000)))).isEqualTo(70_000L);
  }

  private static Map<String, Object> singleValue(Object value) {
    Map<String, Object> kwargs = new LinkedHashMap<>();
    kwargs.put("value", value);
    return kwargs;
  }

  /**
   * Strict equality: the same class at every level (a Long is not a BigInteger, a Double not a
   * Long), doubles by their bits (-0.0 is not 0.0; NaN is NaN), byte arrays by content, and map
   * keys in the same order.
   */
  private static void assertSameValue(Object actual, Object expected) {
    assertSameValue(actual, expected, "$");
  }

  private static void assertSameValue(Object actual, Object expected, String path) {
    switch (expected) {
      case null -> assertThat(actual).as(path).isNull();
      case Double d -> {
        assertThat(actual).as(path).isExactlyInstanceOf(Double.class);
        assertThat(Double.doubleToLongBits((Double) actual)).as(path + " = " + actual + ", bits of " + d)
            .isEqualTo(Double.doubleToLongBits(d));
      }
      case byte[] bytes -> {
        assertThat(actual).as(path).isExactlyInstanceOf(byte[].class);
        assertThat(Arrays.equals((byte[]) actual, bytes)).as(path + " content").isTrue();
      }
      case Map<?, ?> map -> {
        assertThat(actual).as(path).isInstanceOf(Map.class);
        Map<?, ?> actualMap = (Map<?, ?>) actual;
        assertThat(new ArrayList<Object>(actualMap.keySet())).as(path + " keys in order")
            .containsExactlyElementsOf(new ArrayList<Object>(map.keySet()));
        map.forEach((key, value) -> assertSameValue(actualMap.get(key), value, path + "." + key));
      }
      case List<?> list -> {
        assertThat(actual).as(path).isInstanceOf(List.class);
        List<?> actualList = (List<?>) actual;
        assertThat(actualList).as(path).hasSameSizeAs(list);
        for (int i = 0; i < list.size(); i++) {
          assertSameValue(actualList.get(i), list.get(i), path + "[" + i + "]");
        }
      }
      default -> {
        assertThat(actual).as(path).isExactlyInstanceOf(expected.getClass());
        assertThat(actual).as(path).isEqualTo(expected);
      }
    }
  }

  private static byte[] allByteValues() {
    byte[] bytes = new byte[256];
    for (int i = 0; i < 256; i++) {
      bytes[i] = (byte) i;
    }
    return bytes;
  }

  private static byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    new Random(42).nextBytes(bytes);
    return bytes;
  }

  private static Map<String, Object> orderedMap(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  private static Object nested(int levels) {
    Object value = "bottom";
    for (int i = 0; i < levels; i++) {
      value = i % 2 == 0 ? List.of(value) : Map.of("level", value);
    }
    return value;
  }
}
