package dev.snakepit.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A Python script run as a server for a measurement: the script, a resource, is written to a private
 * temporary directory and run with a given interpreter; it says it is ready by printing a first line
 * that starts with {@code ready} (anything after it, such as a port, is {@link #ready()}). {@link #close()}
 * always stops the process (closing its stdin, then SIGTERM, then SIGKILL) and deletes the directory;
 * so does a shutdown hook if the JVM exits first (Ctrl-C). A script must exit by itself when its stdin,
 * held by this JVM, closes, which covers a JVM killed with SIGKILL.
 *
 * <p>Public for the benchmark module, which runs its own servers this way; not an API.
 */
public final class PythonServer implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(5);
  /** Unix socket paths must fit in about 108 bytes. */
  private static final int MAX_SOCKET_PATH = 100;

  private final Path directory;
  private final String ready;
  private final Process process;
  private final Thread cleanupAtExit;

  private PythonServer(Path directory, String ready, Process process) {
    this.directory = directory;
    this.ready = ready;
    this.process = process;
    this.cleanupAtExit = Thread.ofPlatform().name("python-server-cleanup").unstarted(this::cleanUp);
    Runtime.getRuntime().addShutdownHook(cleanupAtExit);
  }

  /**
   * Starts {@code script}, a resource next to {@code owner}, with {@code python} and waits until it is
   * ready.
   *
   * @param arguments the script's arguments, given the private directory (where a socket may go)
   * @throws IOException if it cannot be started or does not become ready; nothing is left behind then
   */
  public static PythonServer start(String python, Class<?> owner, String script, Function<Path, List<String>> arguments)
      throws IOException {
    Path directory = privateDirectory();
    Process process = null;
    try {
      Path file = directory.resolve(script);
      try (InputStream in = owner.getResourceAsStream(script)) {
        if (in == null) {
          throw new IOException("resource " + script + " is missing from the module of " + owner.getName());
        }
        Files.copy(in, file);
      }
      List<String> command = new ArrayList<>(List.of(python, "-I", file.toString()));
      command.addAll(arguments.apply(directory));
      process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String ready = awaitReady(process, script);
      return new PythonServer(directory, ready, process);
    } catch (IOException | RuntimeException e) {
      if (process != null) {
        stop(process);
      }
      delete(directory);
      throw e;
    }
  }

  /** The private directory the script runs in. */
  public Path directory() {
    return directory;
  }

  /** What the script printed after {@code ready} on its first line, trimmed; empty if nothing. */
  public String ready() {
    return ready;
  }

  public long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
    } catch (IllegalStateException e) {
      // The JVM is exiting and the hook runs anyway; cleaning up twice is harmless.
    }
    cleanUp();
  }

  private void cleanUp() {
    try {
      stop(process);
    } finally {
      delete(directory);
    }
  }

  private static String awaitReady(Process process, String script) throws IOException {
    BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> first = new CompletableFuture<>();
    Thread.ofVirtual().name("python-server-ready").start(() -> {
      try {
        first.complete(lines.readLine());
      } catch (IOException e) {
        first.completeExceptionally(e);
      }
    });
    String line;
    try {
      line = first.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IOException(script + " did not become ready within " + READY_TIMEOUT.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new IOException("cannot read the output of " + script + ": " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + script, e);
    }
    if (line == null || !(line.equals("ready") || line.startsWith("ready "))) {
      String exit = process.isAlive() ? "still running" : "exit code " + waitFor(process);
      throw new IOException(script + " did not start (" + exit + ", said " + (line == null ? "nothing" : "'" + line + "'")
          + "); its stderr is above");
    }
    return line.substring("ready".length()).trim();
  }

  /** Stops the script: closing stdin makes it exit; SIGTERM and then SIGKILL if it does not. */
  private static void stop(Process process) {
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // Already closed; the signals below still apply.
    }
    try {
      if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroy();
        if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int waitFor(Process process) {
    try {
      return process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** A fresh directory only this user can enter, short enough for a socket path inside it. */
  private static Path privateDirectory() throws IOException {
    Path base = Path.of(System.getProperty("java.io.tmpdir"));
    if (base.toAbsolutePath().toString().length() + 40 > MAX_SOCKET_PATH) {
      base = Path.of("/tmp");
    }
    return Files.createTempDirectory(base, "snakepit-roundtrip-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  private static void delete(Path directory) {
    try (Stream<Path> paths = Files.walk(directory)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // Already gone.
    }
  }
}
