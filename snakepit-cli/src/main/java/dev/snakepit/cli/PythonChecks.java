package dev.snakepit.cli;

import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The doctor's checks of the Python side: the interpreter, a real one-worker pool of the demo adapter
 * (which imports the bundled runtime, so "a pool starts and answers" is checked, not guessed), and
 * the optional packages, asked of the interpreter by one short probe.
 */
final class PythonChecks {
  static final String ADAPTER = "snakepit.examples.demo:DemoAdapter";
  static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
  private static final List<String> PROBED = List.of("numpy", "pyarrow", "pip", "venv", "prctl");

  /**
   * Prints {@code key=value} for each of {@link #PROBED}: a module's version, or {@code !} and why it
   * is missing; {@code prctl=ok} when the parent-death signal can be armed and read back (then
   * disarmed), as the worker's guard does it. Standard library only.
   */
  private static final String PROBE = String.join("\n",
      "import importlib, sys",
      "def say(key, value):",
      "    print(key + '=' + ' '.join(str(value).split()))",
      "def version(name):",
      "    try:",
      "        module = importlib.import_module(name)",
      "    except Exception as err:",
      "        return '!' + (str(err) or type(err).__name__)",
      "    return getattr(module, '__version__', '') or 'installed'",
      "for name in ('numpy', 'pyarrow', 'pip'):",
      "    say(name, version(name))",
      "try:",
      "    import venv, ensurepip",
      "    say('venv', 'with ensurepip ' + ensurepip.version())",
      "except Exception as err:",
      "    say('venv', '!' + (str(err) or type(err).__name__))",
      "def prctl():",
      "    if not sys.platform.startswith('linux'):",
      "        return '!not Linux but ' + sys.platform",
      "    try:",
      "        import ctypes, signal",
      "        libc = ctypes.CDLL(None, use_errno=True)",
      "        if libc.prctl(1, int(signal.SIGTERM), 0, 0, 0) != 0:",
      "            return '!prctl(PR_SET_PDEATHSIG) failed with errno %d' % ctypes.get_errno()",
      "        armed = ctypes.c_int(0)",
      "        if libc.prctl(2, ctypes.byref(armed), 0, 0, 0) != 0 or armed.value != int(signal.SIGTERM):",
      "            return '!prctl(PR_GET_PDEATHSIG) does not return the signal set'",
      "        libc.prctl(1, 0, 0, 0, 0)",
      "        return 'ok'",
      "    except Exception as err:",
      "        return '!' + (str(err) or type(err).__name__)",
      "say('prctl', prctl())");

  private PythonChecks() {}

  static DoctorCheck interpreter(PythonCommand python) {
    return DoctorCheck.ok("python", "Python " + python.version() + " at " + python.executable()
        + (python.command().equals(python.executable()) ? "" : " (from '" + python.command() + "')"));
  }

  /** The interpreter {@code command} could not be used; {@code why} is {@link PythonCommand#resolve}'s message. */
  static DoctorCheck unusable(String why) {
    // PythonCommand's message ends with the interpreter's output, which may be empty after its colon.
    return DoctorCheck.fail("python", why.strip().replaceAll(":$", ""), "install Python 3.9 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)"
        + " and name it with --python PATH or SNAKEPIT_PYTHON");
  }

  /**
   * Asks {@code python} about the optional packages and prctl; a key missing from the answer means the
   * probe itself failed, and {@code error} then says how.
   */
  static Map<String, String> probe(PythonCommand python) {
    Map<String, String> answers = new LinkedHashMap<>();
    Process process;
    try {
      process = new ProcessBuilder(List.of(python.executable(), "-c", PROBE))
          .redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
    } catch (IOException e) {
      answers.put("error", "cannot run " + python.executable() + ": " + e.getMessage());
      return answers;
    }
    try (InputStream in = process.getInputStream()) {
      if (!process.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        answers.put("error", python.executable() + " did not answer within " + PROBE_TIMEOUT.toSeconds() + " s");
        return answers;
      }
      String output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      answers.putAll(parseProbe(output));
      if (!answers.keySet().containsAll(PROBED)) {
        answers.put("error", "the probe exited with " + process.exitValue() + ": " + oneLine(output));
      }
    } catch (IOException e) {
      answers.put("error", "cannot read the answer of " + python.executable() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      answers.put("error", "interrupted");
    } finally {
      process.destroyForcibly();
    }
    return answers;
  }

  /** The {@code key=value} lines of the probe's output; anything else (a warning an import printed) is skipped. */
  static Map<String, String> parseProbe(String output) {
    Map<String, String> answers = new LinkedHashMap<>();
    for (String line : output.split("\\R")) {
      int equals = line.indexOf('=');
      if (equals > 0 && PROBED.contains(line.substring(0, equals))) {
        answers.put(line.substring(0, equals), line.substring(equals + 1));
      }
    }
    return answers;
  }

  /** numpy, pyarrow, pip and venv: warnings at most, since pools run without any of them. */
  static List<DoctorCheck> packages(PythonCommand python, Map<String, String> probe) {
    String exe = python.executable();
    String minor = python.version().replaceAll("^(\\d+\\.\\d+).*", "$1");
    return List.of(
        optional("numpy", probe, "arrays (NdArray) arrive in Python as read-only memoryviews instead of numpy arrays",
            exe + " -m pip install numpy"),
        optional("pyarrow", probe, "a worker refuses Arrow tables (ArrowData, pandas and polars DataFrames)",
            exe + " -m pip install pyarrow"),
        optional("pip", probe, "no package can be installed into this interpreter or an environment made from it",
            exe + " -m ensurepip --upgrade (Debian/Ubuntu: apt-get install python3-pip)"),
        optional("venv", probe, "no virtual environment can be made with this interpreter",
            "apt-get install python" + minor + "-venv (Debian/Ubuntu), or use a Python built with ensurepip (pyenv, python.org)"));
  }

  /** Every probed package as a warning that it could not be checked; for a missing interpreter or a failed probe. */
  static List<DoctorCheck> notChecked(String why) {
    return List.of("numpy", "pyarrow", "pip", "venv").stream()
        .map(name -> DoctorCheck.warn(name, "not checked: " + why, "fix the python line first")).toList();
  }

  private static DoctorCheck optional(String name, Map<String, String> probe, String without, String fix) {
    String answer = probe.get(name);
    if (answer == null) {
      return DoctorCheck.warn(name, "not checked: " + probe.getOrDefault("error", "no answer"), "fix the python line first");
    }
    if (answer.startsWith("!")) {
      return DoctorCheck.warn(name, "not installed (" + answer.substring(1) + "): " + without, fix);
    }
    return DoctorCheck.ok(name, answer);
  }

  /**
   * Starts one worker of the demo adapter on {@code python}, with a short start timeout, calls one tool,
   * and closes the pool: ok only if the sum comes back.
   */
  static DoctorCheck pool(PythonCommand python) {
    String what = "1 worker of " + ADAPTER;
    PoolConfig config = PoolConfig.builder(ADAPTER)
        .name("doctor")
        .size(1)
        .pythonExecutable(python.executable())
        .startTimeout(START_TIMEOUT)
        .callTimeout(CALL_TIMEOUT)
        .build();
    long start = System.nanoTime();
    Snakepit pool;
    try {
      pool = Snakepit.start(config);
    } catch (SnakepitException e) {
      return DoctorCheck.fail("pool", what + " did not start (" + e.kind() + "): " + oneLine(e.getMessage()),
          fix(e.kind(), e.getMessage(), python));
    } catch (RuntimeException e) {
      return DoctorCheck.fail("pool", what + " did not start: " + oneLine(e.toString()), fix(null, "", python));
    }
    try {
      long startedMillis = (System.nanoTime() - start) / 1_000_000;
      Object sum = pool.execute("add", Map.of("a", 2, "b", 3));
      String pids = pool.workerPids().toString();
      if (!Long.valueOf(5).equals(sum)) {
        return DoctorCheck.fail("pool", what + " answered add(a=2, b=3) with " + sum + " instead of 5", fix(null, "", python));
      }
      return DoctorCheck.ok("pool", what + " (pid " + pids.substring(1, pids.length() - 1) + ") started in "
          + startedMillis + " ms and answered add(a=2, b=3) = 5; the bundled runtime imports");
    } catch (SnakepitException e) {
      return DoctorCheck.fail("pool", what + " started, but its call failed (" + e.kind() + "): " + oneLine(e.getMessage()),
          fix(e.kind(), e.getMessage(), python));
    } finally {
      pool.close();
    }
  }

  /** The pool check when there is no interpreter to start it with. */
  static DoctorCheck poolNotTried() {
    return DoctorCheck.fail("pool", "not tried: no usable interpreter", "fix the python line first");
  }

  /** What to do about a pool that failed with {@code kind} (null: no kind) and {@code message}. */
  static String fix(ErrorKind kind, String message, PythonCommand python) {
    String exe = python.executable();
    if (kind == null) {
      return "run 'snakepit demo --workers 1 --calls 10 --python " + exe + "' to see the pool's log";
    }
    return switch (kind) {
      // Whatever the pool could not use before starting a worker: the runtime's cache, the interpreter, a directory.
      case INVALID_REQUEST -> message != null && message.contains("SNAKEPIT_CACHE_DIR")
          ? "set SNAKEPIT_CACHE_DIR to a writable directory; the bundled runtime is unpacked there"
          : message != null && message.contains("pythonExecutable")
              ? "name a working Python 3.9 or newer with --python PATH or SNAKEPIT_PYTHON"
              : "make what the message names usable (a directory or a setting), then run snakepit doctor again";
      case PYTHON_EXCEPTION -> "the traceback says what did not import; the runtime needs only the standard library, so check"
          + " that " + exe + " is a complete CPython: " + exe + " -c 'import ctypes, json, selectors, socket'";
      case WORKER_CRASHED -> "the worker's stderr says why it died; check that " + exe + " -c 'import ctypes, json, selectors, socket'"
          + " works, and the limits and memory lines";
      case TIMEOUT -> "a worker was not ready within " + START_TIMEOUT.toSeconds() + " s: check the machine's load, and that '"
          + exe + " -c pass' starts quickly";
      case RESOURCE_EXHAUSTED -> "the machine ran short of processes, files or memory: see the limits and memory lines";
      default -> "run 'snakepit demo --workers 1 --calls 10 --python " + exe + "' to see the pool's log";
    };
  }

  /** {@code text} on one line, its middle left out past 600 characters: a traceback's start and end say most. */
  static String oneLine(String text) {
    String line = text == null ? "" : String.join(" | ", text.strip().split("\\s*\\R\\s*"));
    return line.length() <= 600 ? line : line.substring(0, 250) + " ... " + line.substring(line.length() - 300);
  }
}
