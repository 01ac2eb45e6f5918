package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LatenciesTest {
  @Test
  void takesPercentilesByNearestRankFromUnsortedSamples() {
    long[] samples = new long[100];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (i * 37 % 100 + 1) * 1_000L; // 1..100 us, shuffled
    }
    Latencies latencies = Latencies.of(samples);

    assertThat(latencies.count()).isEqualTo(100);
    assertThat(latencies.median()).isEqualTo(50_000);
    assertThat(latencies.percentile(99)).isEqualTo(99_000);
    assertThat(latencies.percentile(1)).isEqualTo(1_000);
    assertThat(latencies.max()).isEqualTo(100_000);
  }

  @Test
  void givesTheLowerMiddleAsTheMedianOfAnEvenCountAndAlwaysAMeasuredValue() {
    Latencies latencies = Latencies.of(new long[] {40, 10, 30, 20});

    assertThat(latencies.median()).isEqualTo(20);
    assertThat(latencies.percentile(99)).isEqualTo(40);
    assertThat(latencies.percentile(75)).isEqualTo(30);
  }

  @Test
  void handlesASingleSample() {
    Latencies latencies = Latencies.of(new long[] {7});

    assertThat(latencies.median()).isEqualTo(7);
    assertThat(latencies.percentile(99)).isEqualTo(7);
  }

  @Test
  void usesOnlyTheFirstCountSamplesAndLeavesTheInputAlone() {
    long[] samples = {5, 1, 9, 100, 100};
    Latencies latencies = Latencies.of(samples, 3);

    assertThat(latencies.max()).isEqualTo(9);
    assertThat(samples).containsExactly(5, 1, 9, 100, 100);
  }

  @Test
  void refusesPercentilesOfNothingAndOutOfRange() {
    assertThatThrownBy(() -> Latencies.of(new long[0]).median())
        .isInstanceOf(IllegalStateException.class).hasMessage("no latencies were recorded");
    assertThatThrownBy(() -> Latencies.of(new long[] {1}).percentile(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Latencies.of(new long[] {1}).percentile(100.5))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void formatsDurationsAndRatesIndependentlyOfTheLocale() {
    assertThat(Latencies.micros(61_349)).isEqualTo("61.3 us");
    assertThat(Latencies.millis(612_345)).isEqualTo("0.61 ms");
    assertThat(Latencies.millis(12_000_000)).isEqualTo("12.00 ms");
    assertThat(Latencies.rate(4_000, 1_370_000_000L)).isEqualTo("2,920 calls/s");
    assertThat(Latencies.rate(1, 0)).isEqualTo("n/a");
  }
}
