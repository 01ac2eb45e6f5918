package dev.snakepit.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The harness kills a JVM running a pool and finds every Python process of it gone. */
@PoolTest
class JvmCrashHarnessTest {

  @Test
  void aKilledJvmLeavesNoWorkerNorGrandchild() throws Exception {
    JvmCrashHarness.Report report = JvmCrashHarness.forAdapter(ChaosAdapter.ADAPTER)
        .pythonPath(ChaosAdapter.pythonPath())
        .python(TestPools.python())
        .environment(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER)
        .size(3)
        .warmUp("spawn_grandchildren")
        .killAndWatch(Duration.ofSeconds(5));

    // Three workers, each with its keeper and two grandchildren.
    assertThat(report.watched()).hasSizeGreaterThanOrEqualTo(12);
    assertThat(report.survivors()).isEmpty();
    assertThat(report.gone()).isLessThan(Duration.ofSeconds(5));
    assertThat(ProcessHandle.of(report.jvmPid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
  }

  @Test
  void aKilledJvmLeavesNoTemplateNorForkedWorkerNorGrandchild() throws Exception {
    JvmCrashHarness.Report report = JvmCrashHarness.forAdapter(ChaosAdapter.ADAPTER)
        .pythonPath(ChaosAdapter.pythonPath())
        .python(TestPools.python())
        .environment(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER)
        .size(3)
        .preload(true)
        .warmUp("spawn_grandchildren")
        .killAndWatch(Duration.ofSeconds(5));

    // The template, and three workers forked from it, each with its keeper and two grandchildren.
    assertThat(report.watched()).hasSizeGreaterThanOrEqualTo(13);
    assertThat(report.survivors()).isEmpty();
    assertThat(report.gone()).isLessThan(Duration.ofSeconds(5));
  }
}
