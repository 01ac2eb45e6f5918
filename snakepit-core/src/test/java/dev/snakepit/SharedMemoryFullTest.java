package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A shared-memory directory too small for a value (docs/protocol.md, section 3.5): the test mounts a
 * tmpfs of 1 MiB of its own (root only; skipped otherwise) and sends and asks for values of 2 MiB. The
 * call fails with RESOURCE_EXHAUSTED saying what to do, nothing is left in the directory, and the same
 * worker, which got no SIGBUS, serves on.
 */
@PoolTest
class SharedMemoryFullTest {
  private static final int LARGE = 2 << 20;
  private static Path mount;
  private static Snakepit pool;
  private static Path directory;

  @BeforeAll
  static void mountASmallTmpfs() throws Exception {
    int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    Assumptions.assumeTrue(uid == 0, "mounting a tmpfs needs root, and these tests run as uid " + uid);
    mount = Files.createTempDirectory("snakepit-small-shm-");
    String failure = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString());
    if (failure != null) {
      Files.delete(mount);
      mount = null;
    }
    Assumptions.assumeTrue(failure == null, "cannot mount a tmpfs here: " + failure);
    pool = TestPools.start(TestPools.testAdapter("shm-full").sharedMemoryDirectory(mount)
        .sharedMemoryThreshold(PoolConfig.MIN_SHARED_MEMORY_THRESHOLD));
    directory = SharedMemoryTest.poolDirectory(mount);
  }

  @AfterAll
  static void unmount() throws Exception {
    try {
      if (pool != null) {
        pool.close();
      }
    } finally {
      if (mount != null) {
        String failure = run("umount", mount.toString());
        assertThat(failure).as("umount " + mount).isNull();
        Files.delete(mount);
      }
    }
  }

  @Test
  void anArgumentLargerThanTheFreeSpaceFailsWithResourceExhaustedAndTheSameWorkerServesOn() throws IOException {
    long pid = pool.workerPids().getFirst();
    long crashed = pool.stats().workersCrashed();

    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute("bytes_len", Map.of("data", new byte[LARGE])));

    assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("'bytes_len'", directory.toString(), LARGE + " bytes", "No space left on device",
        "bytes are free there", "docker run --shm-size", "emptyDir", "medium: Memory", "sizeLimit", "sharedMemoryThreshold",
        "sharedMemory(false)");
    assertThat(SharedMemoryTest.list(directory)).isEmpty();
    assertThat(pool.execute("pid", Map.of())).isEqualTo(pid);
    assertThat(pool.execute("bytes_len", Map.of("data", new byte[256 << 10]))).isEqualTo(256L << 10);
    assertThat(SharedMemoryTest.list(directory)).isEmpty();
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
  }

  @Test
  void aResultLargerThanTheFreeSpaceFailsWithResourceExhaustedAndTheSameWorkerServesOn() throws IOException {
    long pid = pool.workerPids().getFirst();
    long crashed = pool.stats().workersCrashed();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("make_bytes", Map.of("n", LARGE)));

    assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("result of 'make_bytes'", directory.toString(), LARGE + " bytes",
        "No space left on device", "bytes are free there", "docker run --shm-size", "emptyDir", "sharedMemoryThreshold",
        "sharedMemory(false)");
    assertThat(SharedMemoryTest.list(directory)).isEmpty();
    assertThat(pool.execute("pid", Map.of())).isEqualTo(pid);
    assertThat((byte[]) pool.execute("make_bytes", Map.of("n", 256 << 10))).hasSize(256 << 10);
    assertThat(SharedMemoryTest.list(directory)).isEmpty();
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
  }

  /** Runs a command; null when it succeeded, else what it printed and its status. */
  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      return String.join(" ", command) + " did not finish within 30 s";
    }
    return process.exitValue() == 0 ? null : String.join(" ", command) + " exited with " + process.exitValue() + ": " + output;
  }
}
