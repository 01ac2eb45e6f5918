package dev.snakepit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The crash times behind the readiness crash rate, on made-up times. */
class CountersTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long MINUTE = 60 * SECOND;

  @Test
  void crashesOlderThanTheWindowNoLongerCount() {
    Counters counters = new Counters();
    counters.crashed(10 * SECOND);
    counters.crashed(40 * SECOND);
    counters.crashed(41 * SECOND);

    assertThat(counters.crashesWithin(MINUTE, 41 * SECOND)).isEqualTo(3);
    assertThat(counters.crashesWithin(MINUTE, 70 * SECOND - 1)).isEqualTo(3);
    assertThat(counters.crashesWithin(MINUTE, 70 * SECOND)).as("the first is a minute old").isEqualTo(2);
    assertThat(counters.crashesWithin(MINUTE, 101 * SECOND)).isZero();
    assertThat(counters.workersCrashed.sum()).as("the total never decreases").isEqualTo(3);
  }
}
