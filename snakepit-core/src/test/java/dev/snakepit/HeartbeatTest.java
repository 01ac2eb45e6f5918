package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.Outcomes;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Workers beat on the control plane; one that falls silent for longer than the heartbeat timeout
 * (frozen, or wedged in C code holding the GIL) is killed and replaced, and its call fails saying so.
 * The bounds asserted are generous; docs/reliability.md has the measured detection times.
 */
@PoolTest
class HeartbeatTest {
  private static final Duration INTERVAL = Duration.ofMillis(200);
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  /** Detection must come within the timeout plus one interval; the rest is slack for a loaded machine. */
  private static final Duration DETECTION_LIMIT = TIMEOUT.plus(INTERVAL).plusSeconds(8);

  private static final RecordingListener events = new RecordingListener();
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("heartbeat").heartbeatInterval(INTERVAL).heartbeatTimeout(TIMEOUT)
        .callTimeout(Duration.ofSeconds(50)).listener(events));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @BeforeEach
  void poolIsReady() {
    await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().idle() == 1);
  }

  @Test
  void aFrozenWorkerIsKilledAndReplacedAndItsCallFailsNamingTheHeartbeat() throws Exception {
    long frozen = pool.workerPids().getFirst();
    CompletableFuture<Object> call = pool.executeAsync(Call.of("sleep").withArg("seconds", 40.0));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

    long stopped = System.nanoTime();
    Processes.signal(frozen, "STOP");
    SnakepitException error = Outcomes.failureOf(call, DETECTION_LIMIT.plusSeconds(10));
    Duration detected = Duration.ofNanos(System.nanoTime() - stopped);

    assertThat(error.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    assertThat(error.getMessage()).contains("sent no heartbeat for", "heartbeat timeout 2000 ms", "sleep");
    assertThat(detected).isGreaterThanOrEqualTo(TIMEOUT.minus(INTERVAL)).isLessThan(DETECTION_LIMIT);
    await().atMost(Duration.ofSeconds(10)).until(() -> !Processes.isRunning(frozen));
    await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().idle() == 1);
    assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
    assertThat(events.ofType("workerCrash")).anySatisfy(crash -> {
      assertThat(crash.worker().pid()).isEqualTo(frozen);
      assertThat(crash.worker().reason()).contains("heartbeat timeout");
    });
  }

  @Test
  void aFrozenIdleWorkerIsReplacedToo() {
    long frozen = pool.workerPids().getFirst();
    long replaced = pool.stats().workersReplaced();

    Processes.signal(frozen, "STOP");

    await().atMost(DETECTION_LIMIT.plusSeconds(10)).until(() -> pool.stats().workersReplaced() == replaced + 1
        && !Processes.isRunning(frozen) && pool.stats().idle() == 1);
    assertThat(pool.execute("add", Map.of("a", 1, "b", 1))).isEqualTo(2L);
  }

  @Test
  void aToolHoldingTheGilLongerThanTheTimeoutGetsItsWorkerReplaced() throws Exception {
    long wedged = pool.workerPids().getFirst();

    SnakepitException error = Outcomes.failureOf(pool.executeAsync(Call.of("hold_gil").withArg("seconds", 40)), DETECTION_LIMIT.plusSeconds(10));

    assertThat(error.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    assertThat(error.getMessage()).contains("heartbeat timeout", "hold_gil");
    // Before the kill, the worker wrote where each of its threads was, the wedged one included.
    assertThat(error.workerExit().orElseThrow().stderrTail()).contains("most recent call first", "in hold_gil");
    assertThat(error.workerExit().orElseThrow().cause()).isEqualTo(WorkerExit.Cause.KILLED_BY_POOL);
    assertThat(error.workerExit().orElseThrow().poolReason()).isEqualTo(WorkerExit.PoolReason.HEARTBEAT);
    await().atMost(Duration.ofSeconds(10)).until(() -> !Processes.isRunning(wedged));
  }

  @Test
  void aToolThatSleepsLongerThanTheTimeoutKeepsItsWorker() {
    long worker = pool.workerPids().getFirst();
    long crashed = pool.stats().workersCrashed();

    Object slept = pool.execute(Call.of("sleep").withArg("seconds", 3.0));

    assertThat(slept).isEqualTo(3.0);
    assertThat(pool.workerPids()).containsExactly(worker);
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
  }
}
