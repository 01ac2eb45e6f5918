package dev.snakepit.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.snakepit.Call;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The examples of docs/cookbook/testing-catastrophic-failures.md, run against an adapter that is not
 * the kit's own (the runtime's demo adapter stands in for "yours"). Keep the two in step.
 */
@PoolTest
class CookbookExampleTest {
  /** "Your" adapter. */
  private static final String ADAPTER = "snakepit.examples.demo:DemoAdapter";

  private static PoolConfig.Builder myPool() {
    return PoolConfig.builder(ADAPTER)
        .name("scorer")
        .pythonExecutable(TestPools.python())
        .environment(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER)
        .size(3)
        .heartbeatInterval(Duration.ofMillis(200))
        .heartbeatTimeout(Duration.ofSeconds(1))
        .cancelGrace(Duration.ofSeconds(1));
  }

  @Test
  void myAdapterSurvivesKillsAndFreezes() {
    SplittableRandom random = new SplittableRandom(1);
    try (Snakepit pool = Snakepit.start(myPool().build())) {
      Faults.killRandomWorker(pool, random);
      long frozen = Faults.freezeRandomWorker(pool, random).orElseThrow();
      try {
        // An idempotent call may be sent again if its worker dies under it.
        Object sum = pool.execute(Call.of("add").withArg("a", 1).withArg("b", 2).withRetries(2));
        assertThat(sum).isEqualTo(3L);
      } finally {
        Faults.thaw(frozen);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.health().healthy() && pool.stats().idle() == 3);
    }
  }

  @Test
  void myCallsFailCleanlyWhenTheDataPlaneBreaks() {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = Snakepit.start(myPool().dataPlaneInterceptor(proxy).build())) {
      proxy.corruptNext(DataPlaneProxy.Direction.TO_POOL);
      assertThatThrownBy(() -> pool.execute("echo", Map.of("value", "x")))
          .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED));
      assertThat(pool.execute("echo", Map.of("value", "y"))).isEqualTo("y");
    }
  }

  @Test
  void myPoolComesThroughARandomSequenceOfFaults() {
    List<ChaosOp> ops = ChaosArbitraries.sequencesWithoutProxy(20, 3).ofMinSize(10).sample();
    try (Snakepit pool = Snakepit.start(myPool().build());
        ChaosDriver driver = new ChaosDriver(pool, null, n -> Call.of("echo").withArg("value", "x".repeat(n)), 7)) {
      driver.run(ops);
      assertThat(driver.violations(Duration.ofSeconds(30))).as("after %s", ops).isEmpty();
    }
  }

  @Test
  void noWorkerOfMineOutlivesAKilledJvm() throws Exception {
    JvmCrashHarness.Report report = JvmCrashHarness.forAdapter(ADAPTER)
        .python(TestPools.python())
        .environment(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER)
        .size(3)
        .killAndWatch(Duration.ofSeconds(2));
    assertThat(report.survivors()).isEmpty();
  }
}
