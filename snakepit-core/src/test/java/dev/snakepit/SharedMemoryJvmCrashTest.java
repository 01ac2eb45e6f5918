package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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
    Process jvm = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
        System.getProperty("java.class.path"), "-Dsnakepit.test.python=" + TestPools.python(),
        "-Dsnakepit.test.repo=" + System.getProperty("snakepit.test.repo", ""), SharedMemoryCrashTarget.class.getName(),
        base.toString(), NoLeaks.OWNER)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      while (line != null && !line.startsWith("ready ")) {
        line = out.readLine(); // the child's log lines
      }
      assertThat(line).as("the child JVM's ready line").isNotNull();
      String[] ready = line.split(" ");
      Path directory = Path.of(ready[1]);
      List<Long> processes = new ArrayList<>();
      for (int i = 2; i < ready.length; i++) {
        processes.add(Long.parseLong(ready[i]));
      }
      NoLeaks.sawWorkers(List.copyOf(processes));
      jvm.toHandle().children().forEach(keeper -> processes.add(keeper.pid()));
      assertThat(processes).as("two workers and their keepers").hasSize(4);
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
