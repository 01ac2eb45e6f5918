package dev.snakepit.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.testing.FakeClock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Silent workers are found at their timeout, on fake time: 2 s beats, 10 s timeout, as the defaults. */
class HeartbeatMonitorTest {
  private final FakeClock clock = new FakeClock();
  private final HeartbeatMonitor monitor = new HeartbeatMonitor(Duration.ofSeconds(2), Duration.ofSeconds(10), clock);
  private final Map<String, String> silent = new LinkedHashMap<>();

  @Test
  void aWorkerThatKeepsBeatingIsNeverSilent() {
    HeartbeatMonitor.Beats beats = new HeartbeatMonitor.Beats(clock);
    for (int i = 0; i < 30; i++) {
      clock.forward(Duration.ofSeconds(2));
      beats.beat();
      assertThat(sweep(Map.of("w1", beats))).isEqualTo(Duration.ofSeconds(2));
    }
    assertThat(silent).isEmpty();
  }

  @Test
  void aSilentWorkerIsCaughtJustPastItsTimeoutNotAnIntervalLater() {
    HeartbeatMonitor.Beats frozen = new HeartbeatMonitor.Beats(clock);
    clock.forward(Duration.ofSeconds(9));

    Duration next = sweep(Map.of("w1", frozen));

    assertThat(silent).isEmpty();
    assertThat(next).as("the next sweep falls 1 ms past the timeout").isEqualTo(Duration.ofMillis(1001));
    clock.forward(next);
    sweep(Map.of("w1", frozen));
    assertThat(silent).containsExactly(Map.entry("w1", "sent no heartbeat for 10001 ms (heartbeat timeout 10000 ms)"));
  }

  @Test
  void onlyTheSilentOnesAreReported() {
    HeartbeatMonitor.Beats beating = new HeartbeatMonitor.Beats(clock);
    HeartbeatMonitor.Beats frozen = new HeartbeatMonitor.Beats(clock);
    clock.forward(Duration.ofSeconds(10));
    beating.beat();
    clock.forward(Duration.ofMillis(1));

    Map<String, HeartbeatMonitor.Beats> workers = new LinkedHashMap<>();
    workers.put("w1", beating);
    workers.put("w2", frozen);
    sweep(workers);

    assertThat(silent.keySet()).containsExactly("w2");
    assertThat(monitor.firstSweep()).isEqualTo(Duration.ofSeconds(2));
  }

  private Duration sweep(Map<String, HeartbeatMonitor.Beats> workers) {
    return monitor.sweep(List.copyOf(workers.keySet()), workers::get, silent::put);
  }
}
