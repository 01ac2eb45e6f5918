package dev.snakepit.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.ErrorKind;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.testing.PoolTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The chaos adapter, as a pool sees it: each misbehaviour ends the way the kit documents. */
@PoolTest
class ChaosAdapterTest {

  @ParameterizedTest
  @EnumSource(ChaosAdapter.Mode.class)
  void everyModeIsKnownToThePythonSide(ChaosAdapter.Mode mode) {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("mode-" + mode.pythonName()).environment(ChaosAdapter.mode(mode, 1000)))) {
      Object reply = pool.execute("work", Map.of("value", "fine"));
      assertThat(reply).isEqualTo(Map.of("pid", pool.workerPids().get(0), "calls", 1L, "value", "fine"));
    }
  }

  @Test
  void anUnknownModeFailsTheStartNamingTheVariable() {
    SnakepitException error = catchThrowableOfType(SnakepitException.class,
        () -> ChaosPools.start(ChaosPools.builder("mode-bad").environment(ChaosAdapter.MODE_VARIABLE, "explode")).close());
    assertThat(error.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(error.getMessage()).contains("CHAOS_MODE", "explode", "crash");
  }

  @Test
  void aCallNumberBelowOneIsRefused() {
    assertThatThrownBy(() -> ChaosAdapter.mode(ChaosAdapter.Mode.CRASH, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at: 0 is invalid");
  }

  @Test
  void crashOnTheThirdCallServesTwoAndThenDiesBySigkill() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("mode-crash").environment(ChaosAdapter.mode(ChaosAdapter.Mode.CRASH, 3)))) {
      assertThat(((Map<?, ?>) pool.execute("work", Map.of())).get("calls")).isEqualTo(1L);
      assertThat(((Map<?, ?>) pool.execute("work", Map.of())).get("calls")).isEqualTo(2L);

      SnakepitException error = catchThrowableOfType(SnakepitException.class, () -> pool.execute("work", Map.of()));

      assertThat(error.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(error.workerExit().map(WorkerExit::signal)).hasValue("SIGKILL");
    }
  }

  @Test
  void perCallMisbehaviourEndsAsDocumented() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("per-call").size(2))) {
      SnakepitException segfault = catchThrowableOfType(SnakepitException.class, () -> pool.execute("segfault", Map.of()));
      assertThat(segfault.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(segfault.workerExit().map(WorkerExit::signal)).hasValue("SIGSEGV");

      SnakepitException exit = catchThrowableOfType(SnakepitException.class, () -> pool.execute("exit", Map.of("code", 7)));
      assertThat(exit.workerExit().map(WorkerExit::exitCode)).hasValue(7);

      SnakepitException garbage = catchThrowableOfType(SnakepitException.class, () -> pool.execute("garbage", Map.of()));
      assertThat(garbage.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(garbage.getMessage()).contains("violated the protocol");

      assertThat(pool.execute("flood_stdout", Map.of("mb", 2))).isEqualTo(2L << 20);
      assertThat((Long) pool.execute("leak", Map.of("mb", 20))).isEqualTo(20L);
      assertThat(pool.execute("echo", Map.of("value", List.of(1, "two")))).isEqualTo(List.of(1L, "two"));
    }
  }

  @Test
  void holdingTheGilPastTheHeartbeatTimeoutGetsTheWorkerKilled() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("gil")
        .heartbeatInterval(Duration.ofMillis(200)).heartbeatTimeout(Duration.ofSeconds(1)))) {
      SnakepitException error = catchThrowableOfType(SnakepitException.class,
          () -> pool.execute("hold_gil", Map.of("seconds", 30.0)));

      assertThat(error.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(error.workerExit().map(WorkerExit::poolReason)).hasValue(WorkerExit.PoolReason.HEARTBEAT);
      assertThat(error.getMessage()).contains("hold_gil");
    }
  }
}
