package dev.snakepit.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Python interpreter named on the command line, resolved to its own executable
 * ({@code sys.executable}) so that a shim such as pyenv's is run once, not for every process started,
 * and so that every process of one run uses the same interpreter.
 *
 * @param command what the user named, such as {@code python3}
 * @param executable {@code sys.executable}
 * @param version such as {@code 3.11.7}
 */
record PythonCommand(String command, String executable, String version) {
  private static final String PROBE =
      "import sys; print(sys.executable); print('%d.%d.%d' % tuple(sys.version_info[:3]))";
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);

  /** {@code $SNAKEPIT_PYTHON}, else {@code python3}: the pool's own default. */
  static String defaultCommand() {
    String fromEnv = System.getenv("SNAKEPIT_PYTHON");
    return fromEnv == null || fromEnv.isBlank() ? "python3" : fromEnv;
  }

  /**
   * Runs {@code command} once to find its executable and version.
   *
   * @throws IllegalArgumentException with a message saying why the command cannot serve (it cannot be
   *     run, does not answer, or is not Python 3.9 or newer)
   */
  static PythonCommand resolve(String command) {
    Process process;
    try {
      process = new ProcessBuilder(List.of(command, "-c", PROBE))
          .redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
    } catch (IOException e) {
      throw new IllegalArgumentException("'" + command + "' cannot be run: " + e.getMessage(), e);
    }
    String output;
    try (InputStream in = process.getInputStream()) {
      if (!process.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalArgumentException("'" + command + "' did not answer within " + PROBE_TIMEOUT.toSeconds() + " s");
      }
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException("'" + command + "' could not be queried: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalArgumentException("interrupted while querying '" + command + "'", e);
    } finally {
      process.destroyForcibly();
    }
    String[] lines = output.split("\\R");
    String version = lines[lines.length - 1];
    if (process.exitValue() != 0 || lines.length < 2 || !version.matches("\\d+\\.\\d+\\.\\d+")) {
      throw new IllegalArgumentException("'" + command + "' is not a working Python interpreter (exit code "
          + process.exitValue() + "): " + abbreviate(output));
    }
    String[] parts = version.split("\\.");
    if (!parts[0].equals("3") || Integer.parseInt(parts[1]) < 9) {
      throw new IllegalArgumentException("'" + command + "' is Python " + version + "; Snakepit needs Python 3.9 or newer");
    }
    String executable = lines[lines.length - 2].isBlank() ? command : lines[lines.length - 2];
    return new PythonCommand(command, executable, version);
  }

  private static String abbreviate(String text) {
    return text.length() <= 500 ? text : text.substring(0, 500) + "...";
  }
}
