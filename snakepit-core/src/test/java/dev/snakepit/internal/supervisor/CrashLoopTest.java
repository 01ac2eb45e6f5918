package dev.snakepit.internal.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The crash-loop circuit, on an injected clock (nanoseconds). */
class CrashLoopTest {
  private static final long SECOND = 1_000_000_000L;
  private final CrashLoop circuit = new CrashLoop(3, Duration.ofSeconds(10));

  @Test
  void belowTheLimitNothingIsHeldBack() {
    circuit.crashed(0);
    circuit.crashed(SECOND);

    assertThat(circuit.looping(2 * SECOND)).isFalse();
    assertThat(circuit.holdNanos(2 * SECOND)).isZero();
  }

  @Test
  void atTheLimitReplacementsWaitUntilTheOldestCrashLeavesTheWindow() {
    circuit.crashed(0);
    circuit.crashed(SECOND);
    circuit.crashed(2 * SECOND);

    assertThat(circuit.looping(2 * SECOND)).isTrue();
    assertThat(circuit.holdNanos(2 * SECOND)).isEqualTo(8 * SECOND);
    assertThat(circuit.looping(10 * SECOND - 1)).isTrue();
    assertThat(circuit.looping(10 * SECOND)).isFalse();
    assertThat(circuit.crashesInWindow(10 * SECOND)).isEqualTo(2);
  }

  @Test
  void crashesBeyondTheLimitPushTheReleaseToTheCrashThatDecides() {
    for (int i = 0; i < 5; i++) {
      circuit.crashed(i * SECOND);
    }

    // Five crashes in the window; three must leave it before fewer than three remain: the one at 2 s.
    assertThat(circuit.holdNanos(5 * SECOND)).isEqualTo(7 * SECOND);
    assertThat(circuit.looping(12 * SECOND)).isFalse();
  }

  @Test
  void oldCrashesAreForgotten() {
    circuit.crashed(0);
    circuit.crashed(SECOND);
    circuit.crashed(30 * SECOND);

    assertThat(circuit.looping(30 * SECOND)).isFalse();
    assertThat(circuit.crashesInWindow(30 * SECOND)).isEqualTo(1);
  }

  @Test
  void workerStatesChangeOnlyAlongTheTable() {
    assertThat(WorkerState.STARTING.next()).containsExactlyInAnyOrder(WorkerState.READY, WorkerState.STOPPING, WorkerState.DEAD);
    assertThat(WorkerState.READY.canMoveTo(WorkerState.STARTING)).isFalse();
    assertThat(WorkerState.STOPPING.canMoveTo(WorkerState.READY)).isFalse();
    assertThat(WorkerState.DEAD.next()).isEmpty();
  }
}
