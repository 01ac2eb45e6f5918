package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A hundred pools started, used and closed in a row leave the JVM as they found it: the same open file
 * descriptors, no thread of theirs, no child process (the design notes' port exhaustion check).
 */
@PoolTest
class LeakCheckTest {
  private static final int POOLS = 100;

  @Test
  @Timeout(300)
  void aHundredPoolsStartedAndClosedLeaveNoDescriptorThreadOrProcess() throws IOException {
    // Warm up once: the JDK opens some files (jars, /dev/random) on first use and keeps them.
    runOnePool(0);
    long descriptors = openDescriptors();

    for (int i = 1; i <= POOLS; i++) {
      runOnePool(i);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> openDescriptors() <= descriptors
        && poolThreads() == 0 && ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive));
    assertThat(openDescriptors()).isEqualTo(descriptors);
  }

  private static void runOnePool(int i) {
    try (Snakepit pool = TestPools.start(TestPools.demo("leak-" + i))) {
      assertThat(pool.execute("add", Map.of("a", i, "b", 1))).isEqualTo(i + 1L);
    }
  }

  private static long openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  private static long poolThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("snakepit-leak-")).count();
  }
}
