package dev.snakepit.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Python interpreter resolved to its real executable.
 *
 * <p>A command such as {@code python3} may be a shim (pyenv's costs about 100 ms per start) or depend
 * on the {@code PATH}. Asking the interpreter once for {@code sys.executable} and starting every worker
 * from that path removes the shim from each start and pins the version for the pool's life. Results
 * are kept per command for the JVM's life.
 *
 * @param command what the configuration named
 * @param executable the interpreter's own path, {@code sys.executable}
 * @param version its version, such as {@code 3.11.7}
 */
public record PythonInterpreter(String command, String executable, String version) {
  /** The oldest Python the runtime supports. */
  public static final int MIN_MINOR = 9;

  // Also compiles the runtime's modules to bytecode, once per interpreter: with PYTHONDONTWRITEBYTECODE
  // set (as many container images do) workers never write it themselves, and each would compile the
  // runtime from source on every start. py_compile writes regardless of that setting.
  private static final String PROBE = String.join("\n",
      "import sys",
      "try:",
      "    import compileall",
      "    compileall.compile_dir(sys.argv[1], quiet=2)",
      "except Exception:",
      "    pass",
      "v = sys.version_info",
      "print(sys.executable)",
      "print('%d.%d.%d' % (v[0], v[1], v[2]))");
  private static final Map<String, PythonInterpreter> RESOLVED = new ConcurrentHashMap<>();

  /** Thrown when the command cannot serve as a worker interpreter; the message says why. */
  public static final class Unusable extends Exception {
    private static final long serialVersionUID = 1L;

    Unusable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Resolves {@code command}, running it once per JVM, and has it compile the Python files under
   * {@code runtime} to bytecode where that is missing or stale.
   *
   * @throws Unusable if it cannot be run, does not answer within {@code timeout}, or is older than 3.9
   */
  public static PythonInterpreter resolve(String command, Path runtime, Duration timeout) throws Unusable {
    PythonInterpreter known = RESOLVED.get(command);
    if (known != null) {
      return known;
    }
    PythonInterpreter found = probe(command, runtime, timeout);
    RESOLVED.putIfAbsent(command, found);
    return found;
  }

  static PythonInterpreter probe(String command, Path runtime, Duration timeout) throws Unusable {
    Process process;
    try {
      process = new ProcessBuilder(List.of(command, "-c", PROBE, runtime.toString()))
          .redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
    } catch (IOException e) {
      throw new Unusable("pythonExecutable '" + command + "' cannot be run: " + e.getMessage(), e);
    }
    String output;
    try (InputStream in = process.getInputStream()) {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new Unusable("pythonExecutable '" + command + "' did not answer within " + timeout, null);
      }
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      process.destroyForcibly();
      throw new Unusable("pythonExecutable '" + command + "' could not be queried: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new Unusable("interrupted while querying pythonExecutable '" + command + "'", e);
    }
    String[] lines = output.split("\\R");
    if (process.exitValue() != 0 || lines.length < 2 || !lines[lines.length - 1].matches("\\d+\\.\\d+\\.\\d+")) {
      throw new Unusable("pythonExecutable '" + command + "' is not a working Python interpreter (exit code "
          + process.exitValue() + "): " + tail(output), null);
    }
    String version = lines[lines.length - 1];
    String executable = lines[lines.length - 2].isBlank() ? command : lines[lines.length - 2];
    String[] parts = version.split("\\.");
    int major = Integer.parseInt(parts[0]);
    int minor = Integer.parseInt(parts[1]);
    if (major != 3 || minor < MIN_MINOR) {
      throw new Unusable("pythonExecutable '" + command + "' is Python " + version
          + "; Snakepit needs Python 3." + MIN_MINOR + " or newer", null);
    }
    return new PythonInterpreter(command, executable, version);
  }

  private static String tail(String text) {
    return text.length() <= 2000 ? text : "..." + text.substring(text.length() - 2000);
  }
}
