package dev.snakepit.cli;

import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;

/**
 * Where a command writes: its report to {@code out}, diagnostics to {@code err}, and whether {@code out}
 * is a terminal that can redraw a line in place (so a progress bar may use {@code \r}).
 *
 * @param out the command's output
 * @param err errors and diagnostics
 * @param interactive whether {@code out} is an interactive terminal
 */
record Terminal(PrintStream out, PrintStream err, boolean interactive) {

  /** The process's standard streams. */
  static Terminal system() {
    return new Terminal(System.out, System.err, isInteractive(System.console()));
  }

  /**
   * Whether the JVM is attached to a terminal. Before JDK 22 {@link System#console()} was {@code null}
   * when a stream was redirected; from JDK 22 on it returns a console anyway and {@code isTerminal()}
   * (absent from the Java 21 API this module compiles against) tells the two cases apart.
   */
  static boolean isInteractive(Console console) {
    if (console == null) {
      return false;
    }
    try {
      Method isTerminal = Console.class.getMethod("isTerminal");
      return (Boolean) isTerminal.invoke(console);
    } catch (NoSuchMethodException e) {
      return true;
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }
}
