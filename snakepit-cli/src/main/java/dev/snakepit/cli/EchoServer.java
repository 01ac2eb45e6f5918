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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The Python side of the raw round trip: {@code echo_server.py} (a resource of this module) written to a
 * private temporary directory and run with a given interpreter, listening on a Unix socket in that
 * directory. {@link #close()} always stops the process (by its pid, with SIGTERM, then SIGKILL) and
 * deletes the directory; so does a shutdown hook if the JVM exits first (Ctrl-C). The server also exits
 * by itself when its stdin, held by this JVM, closes, which covers a JVM killed with SIGKILL.
 */
final class EchoServer implements AutoCloseable {
  private static final String SCRIPT = "echo_server.py";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(5);
  /** Unix socket paths must fit in about 108 bytes. */
  private static final int MAX_SOCKET_PATH = 100;

  private final Path directory;
  private final Path socket;
  private final Process process;
  private final Thread cleanupAtExit;

  private EchoServer(Path directory, Path socket, Process process) {
    this.directory = directory;
    this.socket = socket;
    this.process = process;
    this.cleanupAtExit = Thread.ofPlatform().name("echo-server-cleanup").unstarted(this::cleanUp);
    Runtime.getRuntime().addShutdownHook(cleanupAtExit);
  }

  /**
   * Starts the server with {@code python} and waits until it listens.
   *
   * @throws IOException if it cannot be started or does not become ready; nothing is left behind then
   */
  static EchoServer start(String python) throws IOException {
    Path directory = privateDirectory();
    Process process = null;
    try {
      Path script = directory.resolve(SCRIPT);
      try (InputStream in = EchoServer.class.getResourceAsStream(SCRIPT)) {
        if (in == null) {
          throw new IOException("resource " + SCRIPT + " is missing from the CLI module");
        }
        Files.copy(in, script);
      }
      Path socket = directory.resolve("echo.sock");
      process = new ProcessBuilder(List.of(python, "-I", script.toString(), socket.toString()))
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      awaitReady(process);
      return new EchoServer(directory, socket, process);
    } catch (IOException | RuntimeException e) {
      if (process != null) {
        stop(process);
      }
      delete(directory);
      throw e;
    }
  }

  Path socket() {
    return socket;
  }

  long pid() {
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

  private static void awaitReady(Process process) throws IOException {
    BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> first = new CompletableFuture<>();
    Thread.ofVirtual().name("echo-server-ready").start(() -> {
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
      throw new IOException("the echo server did not become ready within " + READY_TIMEOUT.toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new IOException("cannot read the echo server's output: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting the echo server", e);
    }
    if (!"ready".equals(line)) {
      String exit = process.isAlive() ? "still running" : "exit code " + waitFor(process);
      throw new IOException("the echo server did not start (" + exit + ", said " + (line == null ? "nothing" : "'" + line + "'")
          + "); its stderr is above");
    }
  }

  /** Stops the server: closing stdin makes it exit; SIGTERM and then SIGKILL if it does not. */
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
