package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.ChildJvm;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM that closes its pool from a shutdown hook of its own (Spring's context, a container's) exits
 * when it is terminated: the pool's own exit hook, which the JVM runs at the same time, must not leave
 * the application's close waiting for ever.
 */
@PoolTest
class ShutdownHookCloseTest {
  @Test
  void aPoolClosedFromTheApplicationsShutdownHookLetsTheJvmExit() throws Exception {
    Process jvm = ChildJvm.start(HookCloseTarget.class, NoLeaks.OWNER);
    try {
      List<Long> workers = ChildJvm.awaitReady(jvm).stream().map(Long::parseLong).toList();
      NoLeaks.sawWorkers(workers);

      jvm.destroy(); // SIGTERM: both shutdown hooks run

      assertThat(jvm.waitFor(20, TimeUnit.SECONDS)).as("the JVM exited after SIGTERM").isTrue();
      await().atMost(Duration.ofSeconds(2)).until(() -> workers.stream().noneMatch(Processes::isRunning));
    } finally {
      jvm.destroyForcibly();
      jvm.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
