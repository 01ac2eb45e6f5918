package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.OS;

/**
 * A worker that writes bytes that are not a valid frame onto either channel (as a buggy C extension
 * could) is killed and replaced; its call fails with WORKER_CRASHED naming the violation, and the
 * JVM neither hangs nor allocates what a corrupt length field claims.
 */
@PoolTest
@EnabledOnOs(OS.LINUX) // the tools find the worker's private descriptors in /proc
class ProtocolViolationTest {
  private static final int MAX_FRAME = 1 << 20;
  /** The frame kind byte nobody defines. */
  private static final int UNKNOWN_KIND = 99;

  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("violations").maxFrameBytes(MAX_FRAME));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @BeforeEach
  void poolIsFull() {
    await().atMost(Duration.ofSeconds(15)).until(() -> pool.stats().idle() == 1);
  }

  @Test
  void anUnknownFrameKindOnTheDataPlaneKillsTheWorkerAndFailsItsCall() {
    assertViolationReplacesTheWorker("corrupt_data_plane", Map.of("length", 20, "kind", UNKNOWN_KIND),
        "violated the protocol on the data plane", "frame kind " + UNKNOWN_KIND);
  }

  @Test
  void anOversizeLengthOnTheDataPlaneIsRefusedBeforeAnythingIsRead() {
    assertViolationReplacesTheWorker("corrupt_data_plane", Map.of("length", 0x7FFF_FFF0, "kind", 4),
        "violated the protocol on the data plane", "exceeds maxFrameBytes " + MAX_FRAME);
  }

  @Test
  void aStreamItemOfACallThatIsNotStreamedKillsTheWorker() {
    assertViolationReplacesTheWorker("corrupt_data_plane", Map.of("length", 20, "kind", 9),
        "sent a stream item for request 0, which it was not streaming");
  }

  @Test
  void anUnknownFrameKindOnTheControlPlaneKillsTheWorkerAndFailsItsCall() {
    assertViolationReplacesTheWorker("corrupt_control_plane",
        Map.of("length", 20, "kind", UNKNOWN_KIND, "then_sleep", 30),
        "violated the protocol on the control plane", "frame kind " + UNKNOWN_KIND);
  }

  @Test
  void anOversizeLengthOnTheControlPlaneIsRefusedBeforeAnythingIsRead() {
    assertViolationReplacesTheWorker("corrupt_control_plane",
        Map.of("length", 0x7FFF_FFF0, "kind", 16, "then_sleep", 30),
        "violated the protocol on the control plane", "exceeds maxFrameBytes " + MAX_FRAME);
  }

  private static void assertViolationReplacesTheWorker(String tool, Map<String, Object> arguments, String... described) {
    long pid = pool.workerPids().getFirst();
    long replaced = pool.stats().workersReplaced();

    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute(Call.of(tool, arguments).withTimeout(Duration.ofSeconds(20))));

    assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    assertThat(e.getMessage()).contains("was killed while running tool '" + tool + "'").contains(described);
    assertThat(e.workerExit().orElseThrow().signal()).isEqualTo("SIGKILL");
    assertThat(e.workerExit().orElseThrow().cause()).isEqualTo(WorkerExit.Cause.KILLED_BY_POOL);
    assertThat(e.workerExit().orElseThrow().poolReason()).isEqualTo(WorkerExit.PoolReason.PROTOCOL);
    assertThat(Processes.isRunning(pid)).isFalse();
    await().atMost(Duration.ofSeconds(15)).until(() -> pool.stats().workersReplaced() == replaced + 1 && pool.stats().idle() == 1);
    assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
  }
}
