package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.cli.DoctorCheck.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code snakepit doctor} on this machine, with the test interpreter and with one that does not exist. */
@EnabledOnOs(OS.LINUX)
@ExtendWith(NoLeftoverProcesses.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DoctorCommandTest {
  private final Captured captured = new Captured();

  private int run(String... args) {
    return new Main().run(List.of(args), captured.terminal);
  }

  private static DoctorCheck named(List<DoctorCheck> checks, String name) {
    return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void findsTheTestInterpreterAndAPoolThatStartsAndAnswers() {
    List<DoctorCheck> checks = DoctorCommand.checks(TestPython.command());

    assertThat(checks).extracting(DoctorCheck::name).containsExactly("java", "linux", "python", "pool", "numpy", "pyarrow",
        "pip", "venv", "/dev/shm", "cgroups", "open files", "processes", "memory");
    assertThat(named(checks, "python").status()).isEqualTo(Status.OK);
    assertThat(named(checks, "python").found()).startsWith("Python " + TestPython.get().version() + " at " + TestPython.get().executable());
    assertThat(named(checks, "pool").status()).as(named(checks, "pool").found()).isEqualTo(Status.OK);
    assertThat(named(checks, "pool").found()).contains("1 worker of snakepit.examples.demo:DemoAdapter", "answered add(a=2, b=3) = 5");
    assertThat(named(checks, "linux")).isEqualTo(DoctorCheck.ok("linux",
        System.getProperty("os.name") + " " + System.getProperty("os.version") + "; prctl(PR_SET_PDEATHSIG) works from the interpreter"));
    assertThat(checks).filteredOn(c -> c.status() != Status.OK).allSatisfy(c -> assertThat(c.fix()).isNotBlank());
    assertThat(checks).noneMatch(c -> c.status() == Status.FAIL);
  }

  @Test
  void printsALinePerCheckAndExitsWith0WhenNothingFails() {
    int status = run("doctor", "--python", TestPython.command());

    assertThat(status).as(captured.out() + captured.err()).isZero();
    assertThat(captured.out().lines().filter(line -> line.matches("  (ok  |warn|FAIL)  \\S.*"))).hasSize(13);
    assertThat(captured.out()).contains("  ok    python      Python " + TestPython.get().version())
        .contains("  ok    pool        1 worker of")
        .endsWith(" warn, 0 FAIL: this machine can run pools\n");
  }

  @Test
  void failsAnInterpreterThatCannotRunWithAFixAndExitsWith1() {
    int status = run("doctor", "--python", "/nonexistent");

    assertThat(status).isEqualTo(Main.FAILED);
    assertThat(captured.err()).isEmpty();
    assertThat(captured.out())
        .contains("  FAIL  python      '/nonexistent' cannot be run: ")
        .contains("; fix: install Python 3.9 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)"
            + " and name it with --python PATH or SNAKEPIT_PYTHON\n")
        .contains("  FAIL  pool        not tried: no usable interpreter; fix: fix the python line first\n")
        .endsWith(" 2 FAIL: pools cannot run here until the FAIL lines are fixed\n");

    List<DoctorCheck> checks = DoctorCommand.checks("/nonexistent");
    assertThat(named(checks, "python").status()).isEqualTo(Status.FAIL);
    assertThat(named(checks, "python").fix()).contains("--python PATH");
    assertThat(named(checks, "numpy").found()).isEqualTo("not checked: no usable interpreter");
  }

  @Test
  void printsTheChecksAsAJsonArrayForScripts() {
    int status = run("doctor", "--json", "--python", "/nonexistent");

    assertThat(status).isEqualTo(Main.FAILED);
    List<String> lines = captured.out().lines().toList();
    assertThat(lines.getFirst()).isEqualTo("[");
    assertThat(lines.getLast()).isEqualTo("]");
    assertThat(lines.subList(1, lines.size() - 1)).hasSize(13).allSatisfy(line -> assertThat(line).matches(
        "  \\{\"name\": \"[^\"]+\", \"status\": \"(ok|warn|FAIL)\", \"found\": \".*\", \"fix\": (null|\".*\")},?"));
    assertThat(captured.out()).contains("{\"name\": \"python\", \"status\": \"FAIL\", \"found\": \"'/nonexistent' cannot be run: ");
  }

  @Test
  void listsItsOptionsInItsHelp() {
    assertThat(run("help", "doctor")).isZero();

    assertThat(captured.out()).contains("usage: snakepit doctor [options]", "--json", "--python CMD");
  }
}
