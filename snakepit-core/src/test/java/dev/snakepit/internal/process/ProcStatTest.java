package dev.snakepit.internal.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.NoLeaks;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;

/** The stat fields, counted as proc(5) counts them, from made-up lines and from real processes. */
@EnabledOnOs(OS.LINUX)
@ExtendWith(NoLeaks.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProcStatTest {
  /** Fields 1 to 22 of a stat line whose command name holds a space and parentheses. */
  private static final String STAT = "4242 (a) b (c)) S 17 4243 4244 0 -1 4194560 120 0 0 0 7 3 0 0 20 0 1 0 98765 "
      + "1000 50 18446744073709551615\n";

  @Test
  void countsTheFieldsFromTheLastParenthesisSoTheCommandNameCannotShiftThem() {
    String[] rest = ProcStat.fieldsAfterName(STAT);

    assertThat(rest[0]).isEqualTo("S");
    assertThat(ProcStat.field(rest, 4)).hasValue(17); // parent
    assertThat(ProcStat.field(rest, 5)).hasValue(4243); // process group
    assertThat(ProcStat.field(rest, 14)).hasValue(7); // user time
    assertThat(ProcStat.field(rest, 15)).hasValue(3); // system time
    assertThat(ProcStat.field(rest, 22)).hasValue(98765); // start time
  }

  @Test
  void aFieldThatIsMissingOrNotANumberIsEmpty() {
    String[] rest = ProcStat.fieldsAfterName(STAT);

    assertThat(ProcStat.field(rest, 3)).isEmpty(); // the state letter
    assertThat(ProcStat.field(rest, 2)).isEmpty(); // the name is not among them
    assertThat(ProcStat.field(rest, 99)).isEmpty();
    assertThat(ProcStat.fieldsAfterName("4242 no name")).isNull();
    assertThat(ProcStat.field(null, 4)).isEmpty();
  }

  @Test
  void readsThisJvmsOwnEntry() {
    long self = ProcessHandle.current().pid();

    assertThat(ProcStat.available()).isTrue();
    assertThat(ProcStat.pids()).contains(self);
    assertThat(ProcStat.isRunning(self)).isTrue();
    assertThat(ProcStat.state(self)).isIn('R', 'S', 'D');
    assertThat(ProcStat.parent(self)).hasValue(ProcessHandle.current().parent().orElseThrow().pid());
    assertThat(ProcStat.processGroup(self)).isPresent();
    assertThat(ProcStat.startTime(self)).isPresent();
    assertThat(ProcStat.cpuTicks(self).orElseThrow()).isPositive(); // a JVM that ran tests has used some CPU
  }

  @Test
  void readsAProcesssCommandLineAndMatchesWholeEnvironmentEntriesOnly() throws Exception {
    ProcessBuilder builder = new ProcessBuilder("sleep", "30");
    builder.environment().put("PROC_STAT_TEST", "marker=1");
    Process child = builder.start();
    try {
      long pid = child.pid();
      assertThat(ProcStat.commandLine(pid)).isEqualTo("sleep 30");
      assertThat(ProcStat.hasEnvironmentEntry(pid, "PROC_STAT_TEST=marker=1")).isTrue();
      assertThat(ProcStat.hasEnvironmentEntry(pid, "PROC_STAT_TEST=marker")).as("a prefix").isFalse();
      assertThat(ProcStat.hasEnvironmentEntry(pid, "STAT_TEST=marker=1")).as("a suffix").isFalse();
    } finally {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(ProcStat.commandLine(child.pid())).isEmpty();
    assertThat(ProcStat.hasEnvironmentEntry(child.pid(), "PROC_STAT_TEST=marker=1")).isFalse();
  }

  @Test
  void aZombieIsNotRunningAndAGoneProcessHasNoFields() throws Exception {
    // The shell starts a child, then becomes sleep, which never reaps it. The child outlives the exec
    // by a second: one that exited before it could be reaped by the shell and never be a zombie.
    Process parent = new ProcessBuilder("sh", "-c", "sleep 1 & echo $!; exec sleep 30").redirectErrorStream(true).start();
    long zombie;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
      zombie = Long.parseLong(out.readLine().strip());
      await().atMost(Duration.ofSeconds(10)).until(() -> ProcStat.state(zombie) == 'Z');

      assertThat(ProcStat.isZombie(zombie)).isTrue();
      assertThat(ProcStat.isRunning(zombie)).isFalse();
      assertThat(ProcStat.parent(zombie)).hasValue(parent.pid());
      assertThat(ProcStat.isRunning(parent.pid())).isTrue();
    } finally {
      parent.destroyForcibly();
      parent.waitFor(10, TimeUnit.SECONDS);
      parent.getOutputStream().close();
    }

    assertThat(ProcStat.isRunning(parent.pid())).isFalse();
    assertThat(ProcStat.state(parent.pid())).isEqualTo('?');
    assertThat(ProcStat.cpuTicks(parent.pid())).isEmpty();
    assertThat(ProcStat.parent(parent.pid())).isEmpty();
  }
}
