package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.ErrorKind;
import dev.snakepit.cli.DoctorCheck.Status;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Python checks: the probe's answer read, the packages judged from it, and the probe run for real. */
@ExtendWith(NoLeftoverProcesses.class)
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class PythonChecksTest {
  private static final PythonCommand PYTHON = new PythonCommand("python3", "/opt/py/bin/python3", "3.12.1");

  @Test
  void readsTheProbesAnswersSkippingWhatImportsPrinted() {
    Map<String, String> answers = PythonChecks.parseProbe(String.join("\n",
        "UserWarning: something numpy said",
        "numpy=!No module named 'numpy'",
        "pyarrow=15.0.0",
        "pip=24.0",
        "venv=!No module named 'ensurepip'",
        "prctl=ok",
        "other=1"));

    assertThat(answers).containsExactly(Map.entry("numpy", "!No module named 'numpy'"), Map.entry("pyarrow", "15.0.0"),
        Map.entry("pip", "24.0"), Map.entry("venv", "!No module named 'ensurepip'"), Map.entry("prctl", "ok"));
  }

  @Test
  void warnsOfAMissingPackageWithWhatIsLostAndThePipCommandForThisInterpreter() {
    List<DoctorCheck> checks = PythonChecks.packages(PYTHON, Map.of("numpy", "!No module named 'numpy'", "pyarrow", "15.0.0",
        "pip", "24.0", "venv", "!No module named 'ensurepip'", "prctl", "ok"));

    assertThat(checks).extracting(DoctorCheck::name).containsExactly("numpy", "pyarrow", "pip", "venv");
    assertThat(checks.get(0)).isEqualTo(DoctorCheck.warn("numpy", "not installed (No module named 'numpy'): arrays (NdArray)"
        + " arrive in Python as read-only memoryviews instead of numpy arrays", "/opt/py/bin/python3 -m pip install numpy"));
    assertThat(checks.get(1)).isEqualTo(DoctorCheck.ok("pyarrow", "15.0.0"));
    assertThat(checks.get(2)).isEqualTo(DoctorCheck.ok("pip", "24.0"));
    assertThat(checks.get(3).status()).isEqualTo(Status.WARN);
    assertThat(checks.get(3).fix()).startsWith("apt-get install python3.12-venv (Debian/Ubuntu)");
  }

  @Test
  void saysWhyNothingWasCheckedWhenTheProbeFailed() {
    List<DoctorCheck> checks = PythonChecks.packages(PYTHON, Map.of("error", "the probe exited with 1: Segmentation fault"));

    assertThat(checks).allSatisfy(check -> {
      assertThat(check.status()).isEqualTo(Status.WARN);
      assertThat(check.found()).isEqualTo("not checked: the probe exited with 1: Segmentation fault");
    });
  }

  @Test
  void putsAMultiLineMessageOnOneLineKeepingItsStartAndEnd() {
    assertThat(PythonChecks.oneLine("Traceback:\n  File \"x\"\nImportError: no\n")).isEqualTo("Traceback: | File \"x\" | ImportError: no");
    String longer = PythonChecks.oneLine("start " + "x".repeat(1000) + " end");
    assertThat(longer).hasSizeLessThan(600).startsWith("start ").endsWith(" end").contains(" ... ");
  }

  @Test
  void fixesAPoolThatCouldNotStartByWhatItsErrorNames() {
    assertThat(PythonChecks.fix(ErrorKind.INVALID_REQUEST, "pool 'doctor' cannot start: cannot unpack bundled Python code"
        + " into /ro (set SNAKEPIT_CACHE_DIR to a writable directory)", PYTHON)).startsWith("set SNAKEPIT_CACHE_DIR to a writable directory");
    assertThat(PythonChecks.fix(ErrorKind.INVALID_REQUEST, "pythonExecutable 'x' cannot be run", PYTHON)).contains("--python PATH");
    assertThat(PythonChecks.fix(ErrorKind.TIMEOUT, "", PYTHON)).contains("within 20 s", "/opt/py/bin/python3 -c pass");
    assertThat(PythonChecks.fix(ErrorKind.PYTHON_EXCEPTION, "Traceback", PYTHON))
        .contains("/opt/py/bin/python3 -c 'import ctypes, json, selectors, socket'");
  }

  @Test
  void failsAnInterpreterWithWhyItCannotServe() {
    DoctorCheck check = PythonChecks.unusable("'/usr/bin/false' is not a working Python interpreter (exit code 1): ");

    assertThat(check.status()).isEqualTo(Status.FAIL);
    assertThat(check.found()).isEqualTo("'/usr/bin/false' is not a working Python interpreter (exit code 1)");
    assertThat(check.fix()).contains("apt-get install python3", "--python PATH or SNAKEPIT_PYTHON");
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void theProbeAnswersEveryQuestionOnTheTestInterpreter() {
    Map<String, String> answers = PythonChecks.probe(TestPython.get());

    assertThat(answers).containsKeys("numpy", "pyarrow", "pip", "venv").doesNotContainKey("error");
    assertThat(answers.get("prctl")).isEqualTo("ok");
  }
}
