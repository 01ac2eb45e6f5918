package dev.snakepit.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code snakepit doctor}: whether this machine can run pools. One line per check, each ok, warn or
 * FAIL with what it found and, unless ok, a fix; exit status 1 only if a check FAILs. The interpreter
 * is judged, not refused: a {@code --python} that cannot run is a FAIL line, not a usage error.
 */
@Command(name = "doctor", description = "check that this machine can run pools: Java, Python, a real pool, /dev/shm, cgroups, limits")
final class DoctorCommand implements Callable<Integer> {
  @Option(names = "--json", arity = "0", description = "print the checks as a JSON array of {name, status, found, fix}")
  boolean json;

  @Mixin
  PythonOption python;

  private final Terminal terminal;

  DoctorCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    List<DoctorCheck> checks = checks(python.command());
    terminal.out().print(json ? renderJson(checks) : render(checks));
    return checks.stream().anyMatch(c -> c.status() == DoctorCheck.Status.FAIL) ? Main.FAILED : Main.OK;
  }

  /** Every check, in the order printed; the Python ones run on the interpreter {@code command}. */
  static List<DoctorCheck> checks(String command) {
    PythonCommand python = null;
    DoctorCheck interpreter;
    try {
      python = PythonCommand.resolve(command);
      interpreter = PythonChecks.interpreter(python);
    } catch (IllegalArgumentException e) {
      interpreter = PythonChecks.unusable(e.getMessage());
    }
    Map<String, String> probe = python == null ? Map.of() : PythonChecks.probe(python);
    List<DoctorCheck> checks = new ArrayList<>();
    checks.add(MachineChecks.java());
    checks.add(MachineChecks.linux(System.getProperty("os.name", "?"), System.getProperty("os.version", "?"), probe.get("prctl")));
    checks.add(interpreter);
    if (python == null) {
      checks.add(PythonChecks.poolNotTried());
      checks.addAll(PythonChecks.notChecked("no usable interpreter"));
    } else {
      checks.add(PythonChecks.pool(python));
      checks.addAll(PythonChecks.packages(python, probe));
    }
    checks.add(MachineChecks.sharedMemory());
    checks.add(CgroupCheck.run());
    checks.addAll(MachineChecks.limits());
    checks.add(MachineChecks.memory());
    return checks;
  }

  /**
   * A line per check: status, name and what was found, aligned, then the fix. No table rule: the found
   * column is as wide as its longest entry, and a rule that long helps no one.
   */
  static String render(List<DoctorCheck> checks) {
    int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(0);
    StringBuilder out = new StringBuilder("\n");
    for (DoctorCheck check : checks) {
      out.append(String.format(Locale.ROOT, "  %-4s  %-" + width + "s  %s", check.status().label(), check.name(), check.found()));
      if (!check.fix().isEmpty()) {
        out.append("; fix: ").append(check.fix());
      }
      out.append('\n');
    }
    Map<DoctorCheck.Status, Long> counts = checks.stream()
        .collect(Collectors.groupingBy(DoctorCheck::status, Collectors.counting()));
    long failed = counts.getOrDefault(DoctorCheck.Status.FAIL, 0L);
    return out.append(String.format(Locale.ROOT, "%n  %d ok, %d warn, %d FAIL: %s%n", counts.getOrDefault(DoctorCheck.Status.OK, 0L),
        counts.getOrDefault(DoctorCheck.Status.WARN, 0L), failed,
        failed == 0 ? "this machine can run pools" : "pools cannot run here until the FAIL lines are fixed")).toString();
  }

  /** The checks as a JSON array, one object per line. */
  static String renderJson(List<DoctorCheck> checks) {
    return checks.stream().map(c -> "  " + c.toJson()).collect(Collectors.joining(",\n", "[\n", "\n]\n"));
  }
}
