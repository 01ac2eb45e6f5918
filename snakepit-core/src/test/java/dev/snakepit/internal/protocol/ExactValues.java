package dev.snakepit.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares decoded values with what they must be, strictly: the same Java types (a Long is not a
 * BigInteger), doubles by their bits (any NaN matches NaN), byte arrays by content, maps with their
 * keys in the same order.
 */
final class ExactValues {

  private ExactValues() {}

  static void assertExactlyEqual(Object actual, Object expected) {
    assertExactlyEqual(actual, expected, "$");
  }

  private static void assertExactlyEqual(Object actual, Object expected, String path) {
    switch (expected) {
      case null -> assertThat(actual).as(path).isNull();
      case Double d -> {
        assertThat(actual).as(path).isInstanceOf(Double.class);
        if (d.isNaN()) {
          assertThat((Double) actual).as(path).isNaN();
        } else {
          assertThat(Double.doubleToRawLongBits((Double) actual)).as(path + " (bits of " + actual + ")")
              .isEqualTo(Double.doubleToRawLongBits(d));
        }
      }
      case byte[] bytes -> assertThat(actual).as(path).isInstanceOf(byte[].class).isEqualTo(bytes);
      case Map<?, ?> map -> {
        assertThat(actual).as(path).isInstanceOf(Map.class);
        Map<?, ?> actualMap = (Map<?, ?>) actual;
        assertThat(new ArrayList<Object>(actualMap.keySet())).as(path + " keys, in order")
            .containsExactlyElementsOf(map.keySet());
        for (Map.Entry<?, ?> entry : map.entrySet()) {
          assertExactlyEqual(actualMap.get(entry.getKey()), entry.getValue(), path + "." + entry.getKey());
        }
      }
      case List<?> list -> {
        assertThat(actual).as(path).isInstanceOf(List.class);
        List<?> actualList = (List<?>) actual;
        assertThat(actualList).as(path).hasSameSizeAs(list);
        for (int i = 0; i < list.size(); i++) {
          assertExactlyEqual(actualList.get(i), list.get(i), path + "[" + i + "]");
        }
      }
      default -> {
        assertThat(actual).as(path).isNotNull();
        assertThat(actual.getClass()).as(path + " type").isEqualTo(expected.getClass());
        assertThat(actual).as(path).isEqualTo(expected);
      }
    }
  }
}
