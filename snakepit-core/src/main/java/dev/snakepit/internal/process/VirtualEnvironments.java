package dev.snakepit.internal.process;

import dev.snakepit.PoolConfig;
import dev.snakepit.spi.EnvironmentEvent;
import dev.snakepit.spi.EnvironmentEvent.Step;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtual environments pools make from a requirements file or a {@code pyproject.toml}, cached
 * under {@code <cache>/environments/<key>}, where the key is a digest of what decides the
 * environment's content: the base interpreter and its version, the file's directory and content (and
 * the content of the files a requirements file names with {@code -r} or {@code -c}), and the listing
 * of the wheel directory, if any.
 *
 * <p>An environment is complete only once its marker file is written, last; one without it (a JVM
 * killed mid-install) is removed and made again. Making one holds a lock in this JVM and an exclusive
 * file lock on {@code <key>.lock}, so pools of this JVM and of others that want the same environment
 * wait for the first to make it, then reuse it.
 */
public final class VirtualEnvironments {
  /** How long venv and pip together may take before the pool gives up on them. */
  public static final Duration TIMEOUT = Duration.ofMinutes(30);
  private static final Logger LOG = LoggerFactory.getLogger(VirtualEnvironments.class);
  private static final String MARKER = "snakepit-environment.txt";
  /** Lines of pip's output a failure reports: its error is in the last ones. */
  private static final int TAIL = 25;
  private static final Map<Path, ReentrantLock> MAKING = new ConcurrentHashMap<>();

  private VirtualEnvironments() {}

  /** Why an environment could not be made; the message carries venv's or pip's own last lines. */
  public static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    Failure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The interpreter of {@code config}'s environment, made with {@code base} unless it exists; the
   * steps go to {@code events}.
   */
  public static Path prepare(PoolConfig config, PythonInterpreter base, Consumer<EnvironmentEvent> events) throws Failure {
    return prepare(PythonRuntime.cacheRoot().resolve("environments"), config, base, events);
  }

  static Path prepare(Path root, PoolConfig config, PythonInterpreter base, Consumer<EnvironmentEvent> events) throws Failure {
    Path directory = root.resolve(key(config, base));
    Path python = directory.resolve("bin").resolve("python");
    Consumer<EnvironmentEvent> report = event -> {
      if (event.step() != Step.OUTPUT) {
        LOG.info("pool '{}': environment {}: {} {}", config.name(), directory, event.step().name().toLowerCase(), event.line());
      } else {
        LOG.info("pool '{}': {}", config.name(), event.line());
      }
      events.accept(event);
    };
    String source = config.requirements() != null ? config.requirements().toString() : config.pyproject().toString();
    if (complete(directory)) {
      report.accept(new EnvironmentEvent(config.name(), directory, Step.REUSED, "for " + source));
      return python;
    }
    ReentrantLock inThisJvm = MAKING.computeIfAbsent(directory, d -> new ReentrantLock());
    inThisJvm.lock();
    try {
      Files.createDirectories(root);
      try (FileChannel file = FileChannel.open(root.resolve(directory.getFileName() + ".lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        FileLock lock = file.tryLock();
        if (lock == null) {
          report.accept(new EnvironmentEvent(config.name(), directory, Step.WAITING, "another process is making it"));
          lock = file.lock();
        }
        try (FileLock held = lock) {
          if (complete(directory)) {
            report.accept(new EnvironmentEvent(config.name(), directory, Step.REUSED, "for " + source));
            return python;
          }
          make(directory, config, base, source, report);
          return python;
        }
      }
    } catch (IOException e) {
      throw new Failure("cannot make the environment " + directory + ": " + e, e);
    } finally {
      inThisJvm.unlock();
    }
  }

  private static void make(Path directory, PoolConfig config, PythonInterpreter base, String source,
      Consumer<EnvironmentEvent> report) throws Failure, IOException {
    deleteTree(directory); // the remains of an attempt that did not finish
    Consumer<String> output = line -> report.accept(new EnvironmentEvent(config.name(), directory, Step.OUTPUT, line));
    report.accept(new EnvironmentEvent(config.name(), directory, Step.CREATING, "with Python " + base.version() + " at " + base.executable()));
    Map<String, String> environment = new LinkedHashMap<>(System.getenv());
    environment.putAll(config.environment());
    environment.put("PIP_NO_INPUT", "1");
    environment.remove("VIRTUAL_ENV");
    run(List.of(base.executable(), "-m", "venv", directory.toString()), directory.getParent(), environment, output,
        "venv could not create " + directory + " (Debian and Ubuntu need the package python3-venv, or point"
            + " pythonExecutable at a Python that has the venv module)", directory);
    List<String> pip = new ArrayList<>(List.of(directory.resolve("bin").resolve("python").toString(), "-m", "pip", "install",
        "--disable-pip-version-check", "--no-input", "--progress-bar", "off"));
    if (config.wheelDirectory() != null) {
      pip.addAll(List.of("--no-index", "--find-links", config.wheelDirectory().toString()));
    }
    Path workingDirectory;
    if (config.requirements() != null) {
      pip.addAll(List.of("-r", config.requirements().toString()));
      workingDirectory = config.requirements().getParent();
    } else {
      workingDirectory = config.pyproject().getParent();
      pip.addAll(List.of("-e", workingDirectory.toString()));
    }
    report.accept(new EnvironmentEvent(config.name(), directory, Step.INSTALLING, String.join(" ", pip.subList(1, pip.size()))));
    run(pip, workingDirectory, environment, output, "pip could not install " + source + " into " + directory, directory);
    Path marker = directory.resolve(MARKER);
    Path partial = directory.resolve(MARKER + ".partial");
    Files.writeString(partial, "made for " + source + "\nwith Python " + base.version() + " at "
        + base.executable() + (config.wheelDirectory() == null ? "" : "\nfrom the wheels in " + config.wheelDirectory()) + "\n");
    Files.move(partial, marker, StandardCopyOption.ATOMIC_MOVE);
    report.accept(new EnvironmentEvent(config.name(), directory, Step.READY, "for " + source));
  }

  /** Runs {@code command}, its output to {@code output}; on failure deletes {@code directory} and throws with the output's end. */
  private static void run(List<String> command, Path workingDirectory, Map<String, String> environment, Consumer<String> output,
      String failure, Path directory) throws Failure, IOException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile()).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().clear();
    builder.environment().putAll(environment);
    Process process = builder.start();
    List<String> tail = new ArrayList<>();
    Thread reader = Thread.ofPlatform().daemon().name("snakepit-environment-output").start(() -> {
      try (var lines = process.inputReader(StandardCharsets.UTF_8)) {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          synchronized (tail) {
            tail.add(line);
            if (tail.size() > TAIL) {
              tail.removeFirst();
            }
          }
          output.accept(line);
        }
      } catch (IOException e) {
        // The process ended; what it wrote is read.
      }
    });
    boolean ended;
    try {
      ended = process.waitFor(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      if (!ended) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor();
      }
      reader.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      deleteTree(directory);
      Thread.currentThread().interrupt();
      throw new Failure(failure + ": interrupted", e);
    }
    if (!ended || process.exitValue() != 0) {
      deleteTree(directory);
      String last;
      synchronized (tail) {
        last = String.join("\n", tail);
      }
      throw new Failure(failure + (ended ? " (exit code " + process.exitValue() + ")" : " within " + TIMEOUT)
          + ":\n" + last, null);
    }
  }

  static boolean complete(Path directory) {
    return Files.isRegularFile(directory.resolve(MARKER)) && Files.isExecutable(directory.resolve("bin").resolve("python"));
  }

  /** The key of {@code config}'s environment: a digest of everything its content depends on. */
  static String key(PoolConfig config, PythonInterpreter base) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    StringBuilder what = new StringBuilder("snakepit environment 1\npython ").append(base.executable()).append(' ')
        .append(base.version()).append('\n');
    try {
      if (config.requirements() != null) {
        what.append("requirements ").append(config.requirements()).append('\n');
        for (Path file : requirementFiles(config.requirements(), new ArrayList<>())) {
          what.append(file).append('\n').append(read(file)).append('\n');
        }
      } else {
        what.append("pyproject ").append(config.pyproject()).append('\n').append(read(config.pyproject())).append('\n');
      }
      if (config.wheelDirectory() != null) {
        what.append("wheels ").append(config.wheelDirectory()).append('\n');
        try (Stream<Path> wheels = Files.list(config.wheelDirectory())) {
          wheels.sorted().forEach(wheel -> what.append(wheel.getFileName()).append(' ').append(size(wheel)).append('\n'));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read what the environment is made from: " + e.getMessage(), e);
    }
    byte[] hash = digest.digest(what.toString().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(hash, 0, 10);
  }

  /** {@code file} and every file it names with {@code -r} or {@code -c}, depth first, each once. */
  static List<Path> requirementFiles(Path file, List<Path> seen) throws IOException {
    Path normal = file.toAbsolutePath().normalize();
    if (seen.contains(normal)) {
      return seen;
    }
    seen.add(normal);
    for (String raw : Files.readAllLines(normal, StandardCharsets.UTF_8)) {
      String line = raw.strip();
      for (String option : List.of("--requirement", "--constraint", "-r", "-c")) {
        if (line.startsWith(option) && line.length() > option.length()) {
          String rest = line.substring(option.length());
          if (rest.charAt(0) == '=' || Character.isWhitespace(rest.charAt(0)) || option.length() == 2) {
            String named = rest.replaceFirst("^[=\\s]+", "").split("\\s+#")[0].strip();
            Path included = normal.getParent().resolve(named);
            if (Files.isRegularFile(included)) {
              requirementFiles(included, seen);
            }
          }
          break;
        }
      }
    }
    return seen;
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return -1;
    }
  }

  private static void deleteTree(Path directory) {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> all = Files.walk(directory)) {
      for (Path path : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      LOG.warn("could not remove the unfinished environment {}: {}", directory, e.toString());
    }
  }
}
