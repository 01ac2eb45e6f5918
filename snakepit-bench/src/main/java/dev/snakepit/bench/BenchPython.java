package dev.snakepit.bench;

import dev.snakepit.PoolConfig;
import dev.snakepit.internal.process.PythonRuntime;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The benchmark adapter ({@code benchtools.adapter:BenchAdapter}, resources of this module) written to
 * a temporary directory for workers to import; {@link #close()} deletes it.
 */
final class BenchPython implements AutoCloseable {
  static final String ADAPTER = "benchtools.adapter:BenchAdapter";
  private static final List<String> FILES = List.of("benchtools/__init__.py", "benchtools/adapter.py",
      "benchtools/preloaded.py");

  private final Path directory;
  private final String python;

  BenchPython(String python) throws IOException {
    this.python = python;
    this.directory = Files.createTempDirectory("snakepit-bench-");
    for (String file : FILES) {
      Path target = directory.resolve(file);
      Files.createDirectories(target.getParent());
      try (InputStream in = BenchPython.class.getResourceAsStream("python/" + file)) {
        if (in == null) {
          throw new IOException("resource python/" + file + " is missing from the benchmark module");
        }
        Files.copy(in, target);
      }
    }
  }

  /** A pool of the benchmark adapter with {@code size} workers. */
  PoolConfig.Builder pool(String name, int size) {
    return pool(name, size, ADAPTER);
  }

  /** A pool of {@code adapter}, one of the benchmark's adapters, with {@code size} workers. */
  PoolConfig.Builder pool(String name, int size, String adapter) {
    return PoolConfig.builder(adapter).name(name).size(size).pythonExecutable(python).addPythonPath(directory);
  }

  String python() {
    return python;
  }

  /**
   * Starts an interpreter that only imports what a worker imports before it can serve (the runtime's
   * start-up module, which imports the rest of it, and the benchmark adapter) and exits: a worker's start
   * without the pool.
   */
  Process startImporting() throws IOException {
    ProcessBuilder builder = new ProcessBuilder(python, "-c", "import snakepit.startup, " + ADAPTER.split(":")[0]);
    builder.environment().put("PYTHONPATH", PythonRuntime.directory() + File.pathSeparator + directory);
    return builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  @Override
  public void close() {
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // Already gone.
    }
  }
}
