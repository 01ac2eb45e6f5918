package dev.snakepit.cli;

/** The interpreter the tests run Python with: system property {@code snakepit.test.python}, set by the build. */
final class TestPython {
  private static PythonCommand resolved;

  private TestPython() {}

  static synchronized PythonCommand get() {
    if (resolved == null) {
      resolved = PythonCommand.resolve(command());
    }
    return resolved;
  }

  static String command() {
    String command = System.getProperty("snakepit.test.python");
    return command == null || command.isBlank() ? "python3" : command;
  }
}
