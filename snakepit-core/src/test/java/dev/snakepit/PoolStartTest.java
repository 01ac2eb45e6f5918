package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starting a pool: workers start concurrently, and a start that cannot succeed fails fast with the
 * reason, never loops restarting workers, and leaves no process behind.
 */
@PoolTest
class PoolStartTest {
  @TempDir
  Path temp;

  @Test
  void startsAllWorkersConcurrentlyAndReturnsWhenAllAreReady() throws IOException {
    Path spawnLog = temp.resolve("spawned");
    long started = System.nanoTime();

    // Each worker's setup() takes 1 s: one after another, four would take at least 4 s.
    try (Snakepit pool = TestPools.start(TestPools.builder("pooltests.slow_start:SlowSetup", "concurrent").size(4)
        .environment("POOLTESTS_SPAWN_LOG", spawnLog.toString()).environment("POOLTESTS_SETUP_SECONDS", "1"))) {
      Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

      assertThat(elapsed).isLessThan(Duration.ofMillis(3000));
      assertThat(pool.stats().idle()).isEqualTo(4);
      assertThat(pool.stats().state()).isEqualTo(PoolStats.State.RUNNING);
      assertThat(pool.workerPids()).hasSize(4).doesNotHaveDuplicates();
      assertThat(spawned(spawnLog)).containsExactlyInAnyOrderElementsOf(pool.workerPids());
    }
  }

  @Test
  void anAdapterThatFailsToImportFailsTheStartAtOnceWithItsTraceback() throws IOException {
    Path spawnLog = temp.resolve("spawned");
    long started = System.nanoTime();

    RecordingListener events = new RecordingListener();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.builder("pooltests.broken_import:Never", "import-error").size(2).listener(events)
            .environment("POOLTESTS_SPAWN_LOG", spawnLog.toString())));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.getMessage()).contains("pool 'import-error' could not start",
        "the import of adapter 'pooltests.broken_import:Never'",
        "ModuleNotFoundError: No module named 'pooltests._no_such_module'",
        "Python traceback:", "broken_import.py",
        "stderr tail:", "pooltests.broken_import: loading the model");
    PythonError error = e.pythonError().orElseThrow();
    assertThat(error.type()).isEqualTo("ModuleNotFoundError");
    assertThat(error.traceback()).contains("import pooltests._no_such_module");
    assertThat(error.frames()).anySatisfy(f -> assertThat(f.file()).endsWith("broken_import.py"));
    WorkerExit exit = e.workerExit().orElseThrow();
    assertThat(exit.exitCode()).isEqualTo(3);
    assertThat(exit.stderrTail()).contains("pooltests.broken_import: loading the model");
    assertNoRestartLoop(events, spawnLog, 2);
  }

  @Test
  void anAdapterWhoseSetupRaisesFailsTheStartWithTheExceptionChain() throws IOException {
    Path spawnLog = temp.resolve("spawned");

    RecordingListener events = new RecordingListener();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.builder("pooltests.failing_setup:FailingSetup", "setup-error").size(2).listener(events)
            .environment("POOLTESTS_SPAWN_LOG", spawnLog.toString())));

    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.getMessage()).contains("setup()", "ValueError: setup failed: no model configured",
        "The above exception was the direct cause");
    PythonError error = e.pythonError().orElseThrow();
    assertThat(error.type()).isEqualTo("ValueError");
    assertThat(error.message()).isEqualTo("setup failed: no model configured");
    assertThat(error.frames()).last().satisfies(f -> assertThat(f.function()).isEqualTo("setup"));
    assertThat(error.cause()).isNotNull();
    assertThat(error.cause().type()).isEqualTo("KeyError");
    assertThat(e.getCause()).hasMessage("ValueError: setup failed: no model configured");
    assertNoRestartLoop(events, spawnLog, 2);
  }

  @Test
  void anAdapterWhosePreloadRaisesFailsTheStartNamingPreload() throws IOException {
    Path spawnLog = temp.resolve("spawned");
    RecordingListener events = new RecordingListener();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.builder("pooltests.failing_setup:FailingPreload", "preload-error").size(2).listener(events)
            .environment("POOLTESTS_SPAWN_LOG", spawnLog.toString())));

    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.getMessage()).contains("preload()", "MemoryError: the model does not fit");
    assertThat(e.pythonError().orElseThrow().type()).isEqualTo("MemoryError");
    assertNoRestartLoop(events, spawnLog, 2);
  }

  @Test
  void aWorkerDyingBeforeItIsReadyFailsTheStartWithItsExitCodeAndStderr() throws IOException {
    Path spawnLog = temp.resolve("spawned");

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.builder("pooltests.dies_on_import:Never", "dies-early").size(2)
            .environment("POOLTESTS_SPAWN_LOG", spawnLog.toString())));

    assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
    assertThat(e.getMessage()).contains("pool 'dies-early' could not start", "exit code 7",
        "pooltests.dies_on_import: giving up");
    assertThat(e.workerExit().orElseThrow().exitCode()).isEqualTo(7);
    assertThat(spawned(spawnLog)).hasSizeBetween(1, 2).noneMatch(Processes::isRunning);
  }

  @Test
  void aMissingInterpreterIsAnInvalidRequestNamingIt() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.demo("no-python").pythonExecutable("snakepit-no-such-python")));

    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
    assertThat(e.getMessage()).contains("pool 'no-python' cannot start", "'snakepit-no-such-python'", "cannot be run");
  }

  @Test
  void aProgramThatIsNotPythonIsAnInvalidRequest() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.demo("not-python").pythonExecutable("true")));

    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
    assertThat(e.getMessage()).contains("'true'", "is not a working Python interpreter");
  }

  @Test
  void aStartSlowerThanTheStartTimeoutFailsWithTimeout() throws IOException {
    Path spawnLog = temp.resolve("spawned");
    long started = System.nanoTime();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.builder("pooltests.slow_import:Slow", "slow-start").size(2)
            .startTimeout(Duration.ofSeconds(1))
            .environment("POOLTESTS_SPAWN_LOG", spawnLog.toString())
            .environment("POOLTESTS_IMPORT_SECONDS", "60")));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(6));
    assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(e.getMessage()).contains("pool 'slow-start' could not start", "did not become ready within 1000 ms");
    assertThat(spawned(spawnLog)).hasSizeBetween(1, 2).noneMatch(Processes::isRunning);
  }

  /**
   * Exactly the {@code size} workers asked for were started: each has one closing event (a crash for
   * the one that failed, a crash or a stop for one the failed start killed), none became ready, and
   * none is left running. The spawn log may miss a worker killed before its adapter code ran. With
   * preloading, the template may have failed before it forked any worker.
   */
  private static void assertNoRestartLoop(RecordingListener events, Path spawnLog, int size) throws IOException {
    assertThat(events.ofType("workerStart")).isEmpty();
    assertThat(events.ofType("workerCrash")).isNotEmpty();
    List<Long> ended = events.events().stream().filter(e -> e.worker() != null).map(e -> e.worker().pid()).toList();
    if (TestPools.preloading() && ended.stream().allMatch(pid -> pid == 0)) {
      // The template failed before it forked any worker; it ran the adapter's code, once.
      assertThat(ended).hasSize(size);
      assertThat(spawned(spawnLog)).hasSizeBetween(0, 1).noneMatch(Processes::isRunning);
      return;
    }
    assertThat(ended).hasSize(size).doesNotHaveDuplicates().noneMatch(Processes::isRunning);
    assertThat(ended).containsAll(spawned(spawnLog));
  }

  /** The pids the test adapters wrote to the spawn log, one per worker process that got that far. */
  private static List<Long> spawned(Path spawnLog) throws IOException {
    if (!Files.exists(spawnLog)) {
      return List.of();
    }
    return Files.readAllLines(spawnLog).stream().map(Long::parseLong).toList();
  }
}
