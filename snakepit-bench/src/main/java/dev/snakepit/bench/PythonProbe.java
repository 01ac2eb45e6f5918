package dev.snakepit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks an interpreter a question before a measurement depends on the answer: runs a snippet of Python
 * in isolated mode ({@code -I}, as the servers of the benchmarks run) and returns its output lines.
 */
final class PythonProbe {
  private static final long TIMEOUT_SECONDS = 30;

  private PythonProbe() {}

  /**
   * The lines {@code code} printed, or empty if the interpreter cannot be started, or the snippet failed
   * or did not finish within 30 seconds (its process is then killed).
   */
  static Optional<List<String>> lines(String python, String code) {
    Process process;
    try {
      process = new ProcessBuilder(python, "-I", "-c", code).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      return Optional.empty();
    }
    try {
      process.getOutputStream().close();
      CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
        try {
          return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          return "";
        }
      });
      String text = output.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) || process.exitValue() != 0) {
        return Optional.empty();
      }
      return Optional.of(text.lines().toList());
    } catch (IOException | ExecutionException | TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      process.destroyForcibly();
    }
  }

  /**
   * How an interpreter is named in messages and reports: relative to the working directory when it lies
   * inside it (the bench's {@code .venv-bench/bin/python}), so that a report names no path of one machine.
   */
  static String display(String python) {
    Path path = Path.of(python);
    if (!path.isAbsolute()) {
      return python;
    }
    Path here = Path.of("").toAbsolutePath();
    return path.startsWith(here) ? here.relativize(path).toString() : python;
  }
}
