package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The crash test, run for real with one run per mode and two workers: JVMs running pools are ended by
 * SIGKILL, SIGTERM and System.exit, and no Python process may survive them. CI runs the full
 * twenty runs per mode through {@code ./snakepit crash-test}.
 */
@EnabledOnOs(OS.LINUX)
@ExtendWith(NoLeftoverProcesses.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CrashTestCommandTest {
  private final Captured captured = new Captured();

  @Test
  void noProcessOutlivesAJvmEndedAnyWay() {
    int status = new Main().run(List.of("crash-test", "--runs", "1", "--workers", "2", "--python", TestPython.command()),
        captured.terminal);

    assertThat(status).as(captured.out() + captured.err()).isZero();
    assertThat(captured.out())
        .contains("SIGKILL of the JVM", "SIGTERM of the JVM", "System.exit, pool not closed")
        .contains("crash-test passed: no process outlived its JVM");
    // Two workers, their two keepers and six grandchildren (two of them out of the workers' groups)
    // were watched in each run.
    assertThat(captured.out().lines().filter(line -> line.matches("\\s+\\w+ run +1: +\\d+ processes gone in \\d+ ms")))
        .hasSize(3)
        .allSatisfy(line -> assertThat(Integer.parseInt(line.replaceAll(".*run +1: +(\\d+) processes.*", "$1")))
            .isGreaterThanOrEqualTo(10));
  }

  @Test
  void noTemplateNorForkedWorkerOutlivesAJvmEndedAnyWay() {
    int status = new Main().run(List.of("crash-test", "--runs", "1", "--workers", "2", "--preload", "--python",
        TestPython.command()), captured.terminal);

    assertThat(status).as(captured.out() + captured.err()).isZero();
    assertThat(captured.out()).contains("a pool of 2 workers forked from a template,", "crash-test passed: no process outlived its JVM");
    // The template, two workers, their two keepers and six grandchildren in each run.
    assertThat(captured.out().lines().filter(line -> line.matches("\\s+\\w+ run +1: +\\d+ processes gone in \\d+ ms")))
        .hasSize(3)
        .allSatisfy(line -> assertThat(Integer.parseInt(line.replaceAll(".*run +1: +(\\d+) processes.*", "$1")))
            .isGreaterThanOrEqualTo(11));
  }

  @Test
  void anUnknownModeIsAUsageError() {
    int status = new Main().run(List.of("crash-test", "--mode", "nuke"), captured.terminal);

    assertThat(status).isEqualTo(2);
    assertThat(captured.err()).contains("--mode 'nuke' is not one of kill, term, exit, all");
  }

  @Test
  void theTableSaysHowManyRunsWereCleanAndTheSlowest() {
    List<CrashTestCommand.Run> runs = List.of(
        new CrashTestCommand.Run(CrashTestCommand.Mode.KILL, 15, 40_000_000, List.of()),
        new CrashTestCommand.Run(CrashTestCommand.Mode.KILL, 15, 90_000_000, List.of()),
        new CrashTestCommand.Run(CrashTestCommand.Mode.KILL, 15, 3_000_000_000L, List.of(123L)));

    String table = CrashTestCommand.render(runs, List.of(CrashTestCommand.Mode.KILL), 2_000_000_000L);

    assertThat(table).contains("SIGKILL of the JVM", "2/3", "90 ms", "3000 ms");
  }
}
