package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snakepit serve} as users run it: a JVM of its own serving a configuration file, answered over
 * HTTP, then {@code snakepit call} and {@code snakepit tools} against it, then SIGTERM while a call
 * runs: the call finishes, the JVM exits 0 and its workers are gone.
 */
@EnabledOnOs(OS.LINUX)
@ExtendWith(NoLeftoverProcesses.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ServeCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  /** A serve JVM and the lines it has printed. */
  private record Served(Process jvm, URI uri, List<String> output) {}

  private Served serve(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "serve", "--python", TestPython.command()));
    command.addAll(List.of(args));
    Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
    BufferedReader lines = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<URI> serving = new CompletableFuture<>();
    Thread.ofPlatform().daemon().name("serve-output").start(() -> {
      try {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          output.add(line);
          if (line.startsWith("serving ")) {
            serving.complete(URI.create(line.substring(line.lastIndexOf(' ') + 1)));
          }
        }
      } catch (IOException e) {
        // the JVM ended
      }
      serving.completeExceptionally(new AssertionError("serve ended without serving: " + output));
    });
    return new Served(jvm, serving.get(60, TimeUnit.SECONDS), output);
  }

  @Test
  void servesAConfigurationCallsItsToolsAndStopsGracefullyOnSigterm() throws Exception {
    Path config = Files.writeString(dir.resolve("snakepit.yml"), """
        snakepit:
          server:
            port: 0
          pools:
            models:
              adapter: snakepit.examples.demo:DemoAdapter
              size: 2
              call-timeout: 30s
        """);
    Served served = serve("--config", config.toString());
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> ready = http.send(HttpRequest.newBuilder(served.uri().resolve("/health/ready")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(served.output()).anyMatch(line -> line.contains("100%  2/2  workers ready"));

      Captured called = new Captured();
      assertThat(new Main().run(List.of("call", "add", "--arg", "a=40", "--arg", "b=2", "--server", served.uri().toString()),
          called.terminal)).as(called.err()).isZero();
      assertThat(called.out().strip()).isEqualTo("42");
      Captured tools = new Captured();
      assertThat(new Main().run(List.of("tools", "--server", served.uri().toString()), tools.terminal)).isZero();
      assertThat(tools.out()).contains("add(a: int, b: int = 2)").contains("sleep");

      CompletableFuture<HttpResponse<String>> slow = http.sendAsync(HttpRequest.newBuilder(served.uri().resolve("/api/pools/models/tools/sleep"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"seconds\": 1.5}")).build(),
          HttpResponse.BodyHandlers.ofString());
      JsonNode busy;
      do {
        busy = JSON.readTree(http.send(HttpRequest.newBuilder(served.uri().resolve("/api/pools/models")).build(),
            HttpResponse.BodyHandlers.ofString()).body());
      } while (busy.at("/stats/busy").asInt() == 0 && !slow.isDone());
      List<Long> workers = busy.at("/workers").findValues("pid").stream().map(JsonNode::asLong).toList();
      assertThat(workers).hasSize(2);

      Runtime.getRuntime().exec(new String[] {"kill", "-TERM", Long.toString(served.jvm().pid())}).waitFor();
      HttpResponse<String> answer = slow.get(30, TimeUnit.SECONDS);
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      assertThat(JSON.readTree(answer.body()).at("/value").asDouble()).isEqualTo(1.5);
      assertThat(served.jvm().waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(served.jvm().exitValue()).as(String.join("\n", served.output())).isZero();
      assertThat(served.output()).anyMatch(line -> line.startsWith("SIGTERM: stopping")).contains("stopped");
      assertThat(workers).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true)));
    } finally {
      served.jvm().destroyForcibly();
    }
  }

  @Test
  void aBadConfigurationIsRefusedNamingTheKeyBeforeAnyPoolStarts() throws Exception {
    Path config = Files.writeString(dir.resolve("bad.yml"), "snakepit.pools.main.adapter: a.b:C\nsnakepit.pools.main.size: 0\n");
    Captured captured = new Captured();
    assertThat(new Main().run(List.of("serve", "--config", config.toString()), captured.terminal)).isEqualTo(Main.USAGE);
    assertThat(captured.err()).startsWith("serve: snakepit.pools.main.size: PoolConfig.size = 0 is invalid");
  }

  @Test
  void listeningBeyondLoopbackWithoutATokenIsRefused() {
    Captured captured = new Captured();
    assertThat(new Main().run(List.of("serve", "--address", "0.0.0.0", "--port", "0"), captured.terminal)).isEqualTo(Main.USAGE);
    assertThat(captured.err()).contains("snakepit.server.token: is required when the server listens beyond loopback");
  }
}
