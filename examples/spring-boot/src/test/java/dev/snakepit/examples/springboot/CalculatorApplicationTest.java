package dev.snakepit.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The application on a random port with its real pool: /add computed in Python, the pool in health and
 * readiness, its meters on /actuator/prometheus. The context, and so the pool's workers, is closed when
 * the class ends.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CalculatorApplicationTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @LocalServerPort
  int port;

  @AfterAll
  static void closeClient() {
    HTTP.close();
  }

  @Test
  void addsInPython() throws Exception {
    HttpResponse<String> response = get("/add?a=1&b=2");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JsonPath.<Integer>read(response.body(), "$.sum")).isEqualTo(3);
  }

  @Test
  void healthAndReadinessAreUpWithThePool() throws Exception {
    HttpResponse<String> health = get("/actuator/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(JsonPath.<String>read(health.body(), "$.status")).isEqualTo("UP");
    assertThat(JsonPath.<String>read(health.body(), "$.components.snakepit.components.calculator.status")).isEqualTo("UP");
    assertThat(JsonPath.<Integer>read(health.body(), "$.components.snakepit.components.calculator.details.workers"))
        .isEqualTo(2);

    HttpResponse<String> readiness = get("/actuator/health/readiness");
    assertThat(readiness.statusCode()).isEqualTo(200);
    assertThat(JsonPath.<String>read(readiness.body(), "$.status")).isEqualTo("UP");
    assertThat(JsonPath.<String>read(readiness.body(), "$.components.snakepit.status")).isEqualTo("UP");
  }

  @Test
  void prometheusShowsThePoolsCalls() throws Exception {
    assertThat(get("/add?a=2&b=3").statusCode()).isEqualTo(200);

    HttpResponse<String> scrape = get("/actuator/prometheus");

    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.body().lines())
        .anySatisfy(line -> assertThat(line).startsWith("snakepit_calls_seconds_count{")
            .contains("pool=\"calculator\"", "tool=\"add\"", "outcome=\"success\""))
        .anySatisfy(line -> assertThat(line).startsWith("snakepit_pool_ready{").contains("pool=\"calculator\"").endsWith(" 1.0"));
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
        .timeout(Duration.ofSeconds(10)).build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
