package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Values above the shared-memory threshold through real workers (docs/protocol.md, section 3.5):
 * they arrive intact, over mappings, and nothing is left in the pool's directory after a call, nor
 * after a worker is killed while it, or the JVM, holds a mapping.
 */
@PoolTest
class SharedMemoryTest {
  private static final Logger LOG = LoggerFactory.getLogger(SharedMemoryTest.class);
  private static final int THRESHOLD = PoolConfig.MIN_SHARED_MEMORY_THRESHOLD;
  private static final int SIZE = 1 << 20;

  @TempDir
  static Path base;
  private static Snakepit numpy;
  private static Snakepit stdlib;
  private static Path numpyDirectory;
  private static Path stdlibDirectory;

  @BeforeAll
  static void startPools() throws IOException {
    Path numpyBase = Files.createDirectory(base.resolve("numpy"));
    Path stdlibBase = Files.createDirectory(base.resolve("stdlib"));
    numpy = TestPools.start(TestPools.testAdapter("shm-numpy").sharedMemoryDirectory(numpyBase).sharedMemoryThreshold(THRESHOLD));
    stdlib = TestPools.start(TestPools.testAdapter("shm-stdlib").sharedMemoryDirectory(stdlibBase).sharedMemoryThreshold(THRESHOLD)
        .pythonArrays(PoolConfig.PythonArrays.MEMORYVIEW));
    numpyDirectory = poolDirectory(numpyBase);
    stdlibDirectory = poolDirectory(stdlibBase);
  }

  @AfterAll
  static void closePools() {
    if (numpy != null) {
      numpy.close();
    }
    if (stdlib != null) {
      stdlib.close();
    }
  }

  @Test
  void eachPoolHasAPrivateDirectoryNamedForTheJvmAndThePoolWhichItRemovesAtClose(@TempDir Path own) throws IOException {
    assertThat(numpyDirectory.getFileName().toString()).startsWith("snakepit-" + ProcessHandle.current().pid() + "-shm-numpy-");
    assertThat(Files.getPosixFilePermissions(numpyDirectory)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    assertThat(numpy.execute("variable", Map.of("name", "SNAKEPIT_SHM_DIR"))).isEqualTo(numpyDirectory.toString());
    assertThat(numpy.execute("variable", Map.of("name", "SNAKEPIT_SHM_THRESHOLD"))).isEqualTo(Integer.toString(THRESHOLD));

    Path directory;
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("shm-own").sharedMemoryDirectory(own))) {
      directory = poolDirectory(own);
      assertThat(directory).isDirectory();
    }
    assertThat(directory).doesNotExist();
    try (Snakepit off = TestPools.start(TestPools.testAdapter("shm-off").sharedMemoryDirectory(own).sharedMemory(false))) {
      assertThat(off.execute("variable", Map.of("name", "SNAKEPIT_SHM_DIR"))).isNull();
      assertThat(off.execute("bytes_len", Map.of("data", new byte[SIZE]))).isEqualTo((long) SIZE);
      assertThat(list(own)).isEmpty();
    }
  }

  @Test
  void bytesAboveTheThresholdCrossBothWaysAndLeaveNothingBehind() throws IOException {
    byte[] sent = new byte[SIZE];
    new Random(7).nextBytes(sent);

    Object back = numpy.execute("echo", Map.of("value", sent));

    assertThat(back).isInstanceOf(byte[].class);
    assertThat(Arrays.equals((byte[]) back, sent)).isTrue();
    assertThat(list(numpyDirectory)).isEmpty();
    assertThat(numpy.execute("bytes_len", Map.of("data", ByteBuffer.wrap(sent)))).isEqualTo((long) SIZE);
    assertThat(list(numpyDirectory)).isEmpty();
  }

  @ParameterizedTest(name = "through {0}")
  @ValueSource(strings = {"numpy", "memoryview"})
  void arraysAboveTheThresholdArriveOverMappingsBothWaysAndLeaveNothingBehind(String backend) throws IOException {
    Snakepit pool = backend.equals("numpy") ? numpy : stdlib;
    NdArray sent = ramp(SIZE / 8);

    assertThat(pool.execute("mapped", Map.of("value", sent))).as("the worker's array is over a mapping").isEqualTo(true);
    NdArray back = (NdArray) pool.execute("echo", Map.of("value", sent));

    assertThat(back).isEqualTo(sent);
    assertThat(back.buffer().isDirect()).as("the JVM's array is over a mapping, not a copy").isTrue();
    assertThat(list(backend.equals("numpy") ? numpyDirectory : stdlibDirectory)).isEmpty();
  }

  @Test
  void aValueBelowTheThresholdStillCrossesTheSocket() {
    NdArray small = ramp(THRESHOLD / 8 - 1);

    assertThat(numpy.execute("mapped", Map.of("value", small))).isEqualTo(false);
    assertThat(((NdArray) numpy.execute("echo", Map.of("value", small))).buffer().isDirect()).isFalse();
  }

  @Test
  void arrowTablesAboveTheThresholdCrossBothWaysWhenPyarrowIsInstalled() throws IOException {
    Assumptions.assumeTrue(pyarrowInstalled(), "pyarrow is not installed for the test interpreter");
    int rows = 2 * THRESHOLD / 16;

    ArrowData table = (ArrowData) numpy.execute("arrow_table", Map.of("rows", rows));

    assertThat(table.byteSize()).isGreaterThan(THRESHOLD);
    assertThat(table.bytes().isDirect()).as("over a mapping").isTrue();
    assertThat(numpy.execute("arrow_matches", Map.of("table", table, "rows", rows))).isEqualTo(true);
    assertThat(list(numpyDirectory)).isEmpty();
  }

  @Test
  void aStreamsItemsCrossThroughSharedMemoryAndThoseLeftUnreadLeaveNothing() throws IOException {
    byte[] item = new byte[SIZE];
    try (CallStream stream = numpy.stream(Call.of("echo").withArg("value", List.of(item, item, item)))) {
      assertThat((List<?>) stream.next()).hasSize(3).allSatisfy(back -> assertThat(Arrays.equals((byte[]) back, item)).isTrue());
    }
    try (CallStream stream = numpy.stream(Call.of("count_bytes").withArg("n", 6).withArg("size", SIZE),
        StreamOptions.defaults().withCredit(4))) {
      assertThat((byte[]) stream.next()).hasSize(SIZE);
    }
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(list(numpyDirectory)).isEmpty());
  }

  @Test
  void aWorkerKilledWhileItHoldsAMappedArgumentAndTheJvmAMappedResultLeavesNoFileAndIsReplaced() throws Exception {
    NdArray result = (NdArray) numpy.execute("numpy_ramp", Map.of("n", SIZE / 8, "dtype", "float64"));
    assertThat(result.buffer().isDirect()).isTrue();
    long victim = numpy.workerPids().getFirst();
    CompletableFuture<Object> held = numpy.executeAsync(Call.of("hold").withArg("value", ramp(SIZE / 8)).withArg("seconds", 30));
    // The worker has the argument once it has unlinked the JVM's file.
    await().atMost(Duration.ofSeconds(10)).until(() -> list(numpyDirectory).isEmpty() && numpy.stats().busy() == 1);

    long killed = System.nanoTime();
    assertThat(ProcessHandle.of(victim).orElseThrow().destroyForcibly()).isTrue();

    awaitEmpty(numpyDirectory);
    long removed = System.nanoTime();
    ExecutionException failure = catchThrowableOfType(ExecutionException.class, () -> held.get(10, TimeUnit.SECONDS));
    assertThat(failure.getCause()).isInstanceOfSatisfying(SnakepitException.class,
        e -> assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED));
    await().atMost(Duration.ofSeconds(15)).until(() -> numpy.workerPids().size() == 1 && !numpy.workerPids().contains(victim));
    assertThat(numpy.execute("echo", Map.of("value", result))).isEqualTo(result);
    assertThat(result.toDoubleArray()[SIZE / 8 - 1]).as("the JVM's mapping outlives the worker").isEqualTo(SIZE / 8 - 1);
    LOG.info("worker killed holding a mapped argument: directory empty {} ms after the kill",
        TimeUnit.NANOSECONDS.toMillis(removed - killed));
  }

  @Test
  void theFilesOfAWorkerKilledBeforeItSentThemAreRemoved() throws Exception {
    long victim = numpy.workerPids().getFirst();
    CompletableFuture<Object> leaving = numpy.executeAsync(Call.of("leave_shared_file").withArg("size", SIZE).withArg("seconds", 30));
    await().atMost(Duration.ofSeconds(10)).until(() -> list(numpyDirectory).size() == 1);
    assertThat(list(numpyDirectory).getFirst().getFileName().toString()).startsWith("w");

    long killed = System.nanoTime();
    assertThat(ProcessHandle.of(victim).orElseThrow().destroyForcibly()).isTrue();

    awaitEmpty(numpyDirectory);
    long removed = System.nanoTime();
    assertThat(catchThrowableOfType(ExecutionException.class, () -> leaving.get(10, TimeUnit.SECONDS)).getCause())
        .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED));
    await().atMost(Duration.ofSeconds(15)).until(() -> numpy.workerPids().size() == 1 && !numpy.workerPids().contains(victim));
    assertThat(numpy.execute("bytes_len", Map.of("data", new byte[SIZE]))).isEqualTo((long) SIZE);
    LOG.info("worker killed with a file not sent: directory empty {} ms after the kill",
        TimeUnit.NANOSECONDS.toMillis(removed - killed));
  }

  /** Waits, polling every 5 ms so that the time it took can be read, at most 2 s for {@code directory} to be empty. */
  static void awaitEmpty(Path directory) {
    await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).atMost(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(list(directory)).isEmpty());
  }

  private static boolean pyarrowInstalled() {
    try {
      numpy.execute("arrow_table", Map.of("rows", 1));
      return true;
    } catch (SnakepitException e) {
      return false;
    }
  }

  /** A float64 array 0, 1, 2, ... of {@code n} elements, in a direct buffer. */
  static NdArray ramp(int n) {
    ByteBuffer data = ByteBuffer.allocateDirect(n * 8).order(ByteOrder.nativeOrder());
    for (int i = 0; i < n; i++) {
      data.putDouble(i * 8, i);
    }
    return NdArray.wrap(NdArray.DType.FLOAT64, new long[] {n}, data);
  }

  /** The one pool directory ({@code snakepit-<pid>-<pool>-<random>}) in {@code base}. */
  static Path poolDirectory(Path base) throws IOException {
    List<Path> found = list(base);
    assertThat(found).as("pool directories in " + base).hasSize(1);
    return found.getFirst();
  }

  static List<Path> list(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.sorted().toList();
    }
  }
}
