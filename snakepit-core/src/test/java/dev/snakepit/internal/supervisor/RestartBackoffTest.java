package dev.snakepit.internal.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Restarts after failed starts back off exponentially with jitter; a worker that served restarts at once. */
class RestartBackoffTest {
  private final RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(100), Duration.ofSeconds(10));

  @RepeatedTest(20)
  void failedStartsDoubleTheDelayWithinTwentyPercentUpToTheCap() {
    long[] expected = {100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000};
    for (long base : expected) {
      assertThat(backoff.next(true)).isBetween(Math.round(base * 0.8), Math.round(base * 1.2));
    }
    assertThat(backoff.failures()).isEqualTo(expected.length);
  }

  @Test
  void aWorkerThatServedIsReplacedAtOnceAndClearsTheFailures() {
    backoff.next(true);
    backoff.next(true);

    assertThat(backoff.next(false)).isZero();
    assertThat(backoff.failures()).isZero();
    assertThat(backoff.next(true)).isBetween(80L, 120L);
  }

  @Test
  void aReadyWorkerResetsTheBackoff() {
    backoff.next(true);
    backoff.next(true);

    backoff.reset();

    assertThat(backoff.next(true)).isBetween(80L, 120L);
  }

  @Test
  void theJitterSpreadsRestarts() {
    java.util.Set<Long> delays = new java.util.HashSet<>();
    for (int i = 0; i < 50; i++) {
      RestartBackoff fresh = new RestartBackoff(Duration.ofMillis(1000), Duration.ofSeconds(10));
      delays.add(fresh.next(true));
    }
    assertThat(delays).as("fifty pools do not all wait the same time").hasSizeGreaterThan(10);
  }
}
