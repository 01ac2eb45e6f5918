package dev.snakepit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP API of a server running a real pool of two demo workers. */
@PoolTest
class SnakepitServerTest {
  private static SnakepitServer server;
  private static Http http;

  @BeforeAll
  static void start() {
    ServerConfig config = ServerConfig.of(TestPools.demo("demo").size(2).build()).withListen("127.0.0.1", 0);
    server = SnakepitServer.start(config);
    NoLeaks.sawWorkers(server.pools().get("demo").workerPids());
    http = new Http(server.uri());
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void healthChecksAnswerUpWithEachPool() {
    Http.Answer live = http.get("/health/live");
    Http.Answer ready = http.get("/health/ready");
    assertThat(live.status()).isEqualTo(200);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().at("/status").asText()).isEqualTo("UP");
    assertThat(ready.json().at("/pools/demo/ready").asBoolean()).isTrue();
  }

  @Test
  void callsAToolWithJsonArgumentsAndSaysWhichWorkerRanIt() {
    Http.Answer answer = http.post("/api/pools/demo/tools/add", "{\"a\": 40, \"b\": 2}");
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    JsonNode json = answer.json();
    assertThat(json.at("/value").asLong()).isEqualTo(42);
    assertThat(json.at("/worker").asText()).startsWith("w");
    assertThat(server.pools().get("demo").workerPids()).contains(json.at("/pid").asLong());
    assertThat(json.at("/attempts").asInt()).isEqualTo(1);
  }

  @Test
  void bytesComeBackTaggedAsBase64() {
    JsonNode value = http.post("/api/pools/demo/tools/make_bytes", "{\"n\": 3}").json().at("/value");
    assertThat(value.at("/$type").asText()).isEqualTo("bytes");
    assertThat(java.util.Base64.getDecoder().decode(value.at("/base64").asText())).hasSize(3);
  }

  @Test
  void aPythonExceptionIs500WithItsTypeAndTraceback() {
    Http.Answer answer = http.post("/api/pools/demo/tools/fail", "{\"message\": \"no good\"}");
    assertThat(answer.status()).isEqualTo(500);
    JsonNode error = answer.json().at("/error");
    assertThat(error.at("/kind").asText()).isEqualTo("PYTHON_EXCEPTION");
    assertThat(error.at("/python/message").asText()).contains("no good");
    assertThat(error.at("/python/traceback").asText()).contains("Traceback");
  }

  @Test
  void aCallPastItsTimeoutIs504() {
    Http.Answer answer = http.post("/api/pools/demo/tools/sleep?timeout=200ms", "{\"seconds\": 5}");
    assertThat(answer.status()).as(answer.body()).isEqualTo(504);
    assertThat(answer.json().at("/error/kind").asText()).isEqualTo("TIMEOUT");
  }

  @Test
  void badRequestsGetAClearErrorAndThePoolServesOn() {
    assertThat(http.post("/api/pools/demo/tools/nope", "{}").json().at("/error/message").asText())
        .contains("pool 'demo' has no tool 'nope'").contains("add");
    assertThat(http.post("/api/pools/nope/tools/add", "{}").status()).isEqualTo(404);
    Http.Answer notJson = http.post("/api/pools/demo/tools/add", "{\"a\": ");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.json().at("/error/message").asText()).contains("not valid JSON");
    assertThat(http.post("/api/pools/demo/tools/add", "[1, 2]").json().at("/error/message").asText())
        .contains("JSON object of keyword arguments");
    Http.Answer wrongArgs = http.post("/api/pools/demo/tools/add", "{\"c\": 1}");
    assertThat(wrongArgs.status()).isEqualTo(400);
    assertThat(wrongArgs.json().at("/error/kind").asText()).isEqualTo("INVALID_REQUEST");
    Http.Answer form = http.send(http.request("/api/pools/demo/tools/add").header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("a=1")));
    assertThat(form.status()).isEqualTo(415);
    assertThat(http.get("/api/pools/demo/tools/add").status()).isEqualTo(405);
    assertThat(http.post("/api/pools/demo/tools/add?timeout=soon", "{\"a\": 1}").json().at("/error/message").asText())
        .contains("timeout 'soon' is invalid");
    assertThat(http.get("/nowhere").status()).isEqualTo(404);
    assertThat(http.post("/api/pools/demo/tools/add", "{\"a\": 1}").json().at("/value").asInt()).isEqualTo(3);
  }

  @Test
  void aBodyOverTheLimitIsRefusedWith413() {
    ServerConfig small = new ServerConfig("127.0.0.1", 0, null, Duration.ofSeconds(5), 64, false,
        java.util.Map.of("demo", TestPools.demo("small").build()));
    try (SnakepitServer other = SnakepitServer.start(small); Http client = new Http(other.uri())) {
      NoLeaks.sawWorkers(other.pools().get("demo").workerPids());
      Http.Answer answer = client.post("/api/pools/demo/tools/echo", "{\"value\": \"" + "x".repeat(100) + "\"}");
      assertThat(answer.status()).isEqualTo(413);
      assertThat(answer.json().at("/error/message").asText()).contains("max-body-size");
      assertThat(client.post("/api/pools/demo/tools/echo", "{\"value\": 1}").json().at("/value").asInt()).isEqualTo(1);
    }
  }

  @Test
  void listsPoolsToolsAndWorkers() {
    JsonNode pools = http.get("/api/pools").json().at("/pools");
    assertThat(pools).hasSize(1);
    assertThat(pools.get(0).at("/name").asText()).isEqualTo("demo");
    assertThat(pools.get(0).at("/stats/targetSize").asInt()).isEqualTo(2);
    JsonNode tools = http.get("/api/pools/demo/tools").json().at("/tools");
    assertThat(tools.findValuesAsText("name")).contains("add", "echo", "sleep");
    JsonNode detail = http.get("/api/pools/demo").json();
    assertThat(detail.at("/workers")).hasSize(2);
    assertThat(detail.at("/workers/0/pid").asLong()).isPositive();
    assertThat(detail.at("/history/t").isArray()).isTrue();
  }

  @Test
  void metricsAreInPrometheusFormatWithThePoolTag() {
    http.post("/api/pools/demo/tools/ping", "");
    Http.Answer metrics = http.get("/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.header("Content-Type")).startsWith("text/plain; version=0.0.4");
    assertThat(metrics.body()).contains("snakepit_calls_seconds_count{").contains("pool=\"demo\"")
        .contains("snakepit_workers{").contains("snakepit_pool_ready{");
  }

  @Test
  void theEventStreamSendsASnapshotOfEveryPool() throws Exception {
    HttpRequest request = http.request("/api/events").GET().build();
    HttpResponse<InputStream> response = http.client().send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String data = CompletableFuture.supplyAsync(() -> {
        try {
          String line;
          while ((line = lines.readLine()) != null) {
            if (line.startsWith("data: ")) {
              return line.substring(6);
            }
          }
          return null;
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).get(10, java.util.concurrent.TimeUnit.SECONDS);
      JsonNode snapshot = Http.JSON.readTree(data);
      assertThat(snapshot.at("/pools/0/name").asText()).isEqualTo("demo");
      assertThat(snapshot.at("/pools/0/workers")).hasSize(2);
    }
  }

  @Test
  void theDashboardAndItsFilesAreServed() {
    assertThat(http.get("/").body()).contains("<title>Snakepit dashboard</title>");
    assertThat(http.get("/dashboard.js").header("Content-Type")).startsWith("text/javascript");
    assertThat(http.get("/favicon.svg").status()).isEqualTo(200);
  }

  @Test
  void closeLetsACallInProgressFinish() throws Exception {
    ServerConfig config = ServerConfig.of(TestPools.demo("draining").build()).withListen("127.0.0.1", 0);
    SnakepitServer other = SnakepitServer.start(config);
    NoLeaks.sawWorkers(other.pools().get("draining").workerPids());
    try (Http client = new Http(other.uri())) {
      CompletableFuture<Http.Answer> slow = CompletableFuture.supplyAsync(
          () -> client.post("/api/pools/draining/tools/sleep", "{\"seconds\": 1.0}"));
      await().atMost(Duration.ofSeconds(10)).until(() -> other.pools().get("draining").stats().busy() == 1);
      CompletableFuture<Void> closing = CompletableFuture.runAsync(other::close);
      Http.Answer answer = slow.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(answer.status()).as(answer.body()).isEqualTo(200);
      assertThat(answer.json().at("/value").asDouble()).isEqualTo(1.0);
      closing.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(other.pools().get("draining").workerPids()).isEmpty();
    } finally {
      other.close();
    }
  }
}
