package dev.snakepit.server;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Prometheus server of its own for one test, scraping one target every second: on loopback, on a
 * free port, with its configuration, its database and its log in a scratch directory that
 * {@link #close} deletes. Nothing outside that directory is read or written (the console template
 * folders point into it too), and its output goes to a log file, so no thread of the JVM reads it.
 */
final class PrometheusProcess implements AutoCloseable {
  static final String NOT_FOUND = "no prometheus executable on the PATH (Debian package prometheus); "
      + "install it to run this test";
  static final String JOB = "snakepit";

  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  private static final Duration KILL_GRACE = Duration.ofSeconds(5);
  private static final int LOG_TAIL_LINES = 20;

  private final Process process;
  private final Path scratch;
  private final URI uri;
  private final Http http;

  private PrometheusProcess(Process process, Path scratch, URI uri) {
    this.process = process;
    this.scratch = scratch;
    this.uri = uri;
    this.http = new Http(uri);
  }

  /** The prometheus executable on the PATH, if there is one. */
  static Optional<Path> executable() {
    String path = System.getenv().getOrDefault("PATH", "");
    return Arrays.stream(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "prometheus")).filter(Files::isExecutable).findFirst();
  }

  /**
   * Starts {@code executable} scraping {@code target} ("host:port") at /metrics every second, sending
   * {@code token} as a bearer token read from a file, as docs/grafana/README.md configures it.
   */
  static PrometheusProcess start(Path executable, String target, String token) {
    Path scratch;
    try {
      scratch = Files.createTempDirectory("snakepit-prometheus-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a directory for Prometheus", e);
    }
    try {
      Files.writeString(scratch.resolve("token"), token + "\n");
      // scrape_timeout must not exceed scrape_interval, whose default (10 s) it would otherwise keep.
      Files.writeString(scratch.resolve("prometheus.yml"), """
          global:
            scrape_interval: 1s
            scrape_timeout: 1s
          scrape_configs:
            - job_name: %s
              metrics_path: /metrics
              authorization:
                type: Bearer
                credentials_file: %s
              static_configs:
                - targets: ["%s"]
          """.formatted(JOB, scratch.resolve("token"), target));
      int port = freePort();
      ProcessBuilder builder = new ProcessBuilder(executable.toString(),
          "--config.file=" + scratch.resolve("prometheus.yml"),
          "--storage.tsdb.path=" + scratch.resolve("data"),
          "--web.listen-address=127.0.0.1:" + port,
          "--web.console.templates=" + scratch.resolve("consoles"),
          "--web.console.libraries=" + scratch.resolve("console_libraries"),
          "--log.level=warn")
          .redirectErrorStream(true)
          .redirectOutput(scratch.resolve("prometheus.log").toFile());
      // One core is plenty for one target, and the build machine is shared.
      builder.environment().put("GOMAXPROCS", "1");
      Process process = builder.start();
      process.getOutputStream().close();
      return new PrometheusProcess(process, scratch, URI.create("http://127.0.0.1:" + port + "/"));
    } catch (IOException | RuntimeException e) {
      deleteTree(scratch);
      throw new IllegalStateException("cannot start " + executable + ": " + e.getMessage(), e);
    }
  }

  /**
   * A port nobody listens on now. Another process may take it before Prometheus binds it; Prometheus
   * then exits, and {@link #awaitReady} says so with its log.
   */
  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Waits until Prometheus answers /-/ready, failing at once, with its log, if it exits first. */
  void awaitReady(Duration timeout) {
    await("Prometheus ready at " + uri).atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("Prometheus exited with " + process.exitValue() + " before it was ready" + logTail());
      }
      try {
        return http.get("/-/ready").status() == 200;
      } catch (UncheckedIOException e) {
        return false; // not listening yet
      }
    });
  }

  /** The targets Prometheus scrapes, as /api/v1/targets lists them. */
  JsonNode activeTargets() {
    return http.get("/api/v1/targets?state=active").json().at("/data/activeTargets");
  }

  /** The answer of /api/v1/query for {@code expr}, evaluated now. */
  JsonNode query(String expr) {
    return http.get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)).json();
  }

  /** "; its log ended with:" and the last lines, for a failure message. */
  String logTail() {
    try (Stream<String> lines = Files.lines(scratch.resolve("prometheus.log"))) {
      List<String> all = lines.toList();
      return all.isEmpty() ? "; it logged nothing" : all.subList(Math.max(0, all.size() - LOG_TAIL_LINES), all.size())
          .stream().map(line -> "\n  " + line).collect(Collectors.joining("", "; its log ended with:", ""));
    } catch (IOException | UncheckedIOException e) {
      return "; its log cannot be read: " + e.getMessage();
    }
  }

  /**
   * Asks Prometheus to stop (SIGTERM), kills it if it is still running after {@link #STOP_GRACE},
   * then deletes its directory. Every wait is bounded, and an interrupt does not cut the cleanup
   * short; the interrupt is restored at the end. Throws if the process outlives SIGKILL.
   */
  @Override
  public void close() {
    boolean interrupted = Thread.interrupted();
    try {
      http.close();
      process.destroy();
      interrupted |= !waitFor(STOP_GRACE);
      if (process.isAlive()) {
        process.destroyForcibly();
        interrupted |= !waitFor(KILL_GRACE);
      }
      if (process.isAlive()) {
        throw new IllegalStateException("Prometheus (pid " + process.pid() + ") outlived SIGKILL by "
            + KILL_GRACE.toMillis() + " ms; its directory " + scratch + " is left");
      }
      deleteTree(scratch);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Waits up to {@code timeout} for the exit; false if interrupted meanwhile (the wait then goes on). */
  private boolean waitFor(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean interrupted = false;
    while (true) {
      try {
        process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        return !interrupted;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete Prometheus's directory " + root, e);
    }
  }
}
