package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.ChildJvm;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JVM killed with SIGKILL while its pool's shared memory holds files and mappings leaves neither the
 * directory nor a worker behind: each worker's keeper sees its lifeline hang up, kills its worker, and
 * removes the pool's directory (python/snakepit/keeper.py).
 */
@PoolTest
class SharedMemoryJvmCrashTest {
  private static final Logger LOG = LoggerFactory.getLogger(SharedMemoryJvmCrashTest.class);

  @TempDir
  Path base;

  @Test
  void aJvmKilledWhileFilesAndMappingsExistLeavesNoDirectoryAndNoWorker() throws Exception {
    Process jvm = ChildJvm.start(SharedMemoryCrashTarget.class, base.toString(), NoLeaks.OWNER);
    try {
      List<String> ready = ChildJvm.awaitReady(jvm);
      Path directory = Path.of(ready.getFirst());
      List<Long> processes = new ArrayList<>();
      ready.stream().skip(1).forEach(pid -> processes.add(Long.parseLong(pid)));
      NoLeaks.sawWorkers(List.copyOf(processes));
      // The keepers, and with preloading the template they were forked from.
      jvm.toHandle().descendants().filter(p -> !processes.contains(p.pid())).forEach(p -> processes.add(p.pid()));
      assertThat(processes).as("two workers, their keepers (and their template)").hasSize(TestPools.preloading() ? 5 : 4);
      assertThat(SharedMemoryTest.list(directory)).as("a worker's file waits in the directory").hasSize(1);

      long killed = System.nanoTime();
      jvm.destroyForcibly();

      await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(2))
          .until(() -> !Files.exists(directory));
      long removed = System.nanoTime();
      await().atMost(Duration.ofSeconds(2)).until(() -> processes.stream().noneMatch(Processes::isRunning));
      LOG.info("JVM killed with SIGKILL: its pool's shared-memory directory gone {} ms after the kill",
          TimeUnit.NANOSECONDS.toMillis(removed - killed));
    } finally {
      jvm.destroyForcibly();
      jvm.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
