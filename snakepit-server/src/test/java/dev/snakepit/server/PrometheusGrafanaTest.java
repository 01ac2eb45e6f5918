package dev.snakepit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.snakepit.PoolStats;
import dev.snakepit.Snakepit;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard (docs/grafana/snakepit-dashboard.json) against the real thing: a server with a
 * pool of demo workers that answered calls, failed one, lost a worker to SIGKILL and recycled one,
 * scraped every second, with the server's bearer token, by a real Prometheus. Every query of every
 * panel, with Grafana's variables filled in as Grafana would, must return series of the pool, so a
 * renamed meter or a mistyped label shows up here rather than as an empty panel in production.
 */
@PoolTest
class PrometheusGrafanaTest {
  private static final String POOL = "demo"; // no regex metacharacter: $pool is matched with =~
  private static final String TOKEN = "grafana-test-token-0123456789";
  /**
   * What $__rate_interval stands for: with 1 s scrapes rate needs a window of 2 s at least, and it
   * must still reach back before the calls made once the target is up, for the rates to be non-zero.
   */
  private static final String RATE_INTERVAL = "30s";
  private static final String INTERVAL = "5s";
  private static final Duration WORKERS_SETTLE_WITHIN = Duration.ofSeconds(20);
  private static final Duration PROMETHEUS_STARTS_WITHIN = Duration.ofSeconds(20);
  /** Prometheus hands new targets to its scrapers at most every 5 s: the first scrape comes 5 s after its start. */
  private static final Duration SCRAPED_WITHIN = Duration.ofSeconds(15);
  private static final Duration QUERIES_ANSWER_WITHIN = Duration.ofSeconds(20);
  /** A metric name in an expression, and what follows it: every one must be filtered by pool. */
  private static final Pattern METRIC = Pattern.compile("\\bsnakepit_[a-z_]+(\\{[^}]*})?");

  /** One query of one panel. */
  private record PanelQuery(String panel, String refId, String expr) {
    String describe() {
      return "panel '" + panel + "' query " + refId + ": " + expr;
    }
  }

  @Test
  void theDashboardIsAGrafanaModelWhoseEveryQueryIsFilteredByPool() throws IOException {
    JsonNode dashboard = dashboard();
    assertThat(dashboard.at("/uid").asText()).isEqualTo("snakepit");
    assertThat(dashboard.at("/title").asText()).isNotBlank();
    assertThat(dashboard.at("/schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
    assertThat(dashboard.at("/refresh").asText()).isEqualTo("10s");
    assertThat(dashboard.at("/time/from").asText()).isNotBlank();

    JsonNode variables = dashboard.at("/templating/list");
    JsonNode datasource = variable(variables, "datasource");
    assertThat(datasource.at("/type").asText()).isEqualTo("datasource");
    assertThat(datasource.at("/query").asText()).isEqualTo("prometheus");
    JsonNode pool = variable(variables, "pool");
    assertThat(pool.at("/type").asText()).isEqualTo("query");
    assertThat(pool.at("/datasource/uid").asText()).isEqualTo("${datasource}");
    assertThat(pool.at("/query/query").asText()).isEqualTo("label_values(snakepit_pool_ready, pool)");
    assertThat(pool.at("/multi").asBoolean()).isTrue();
    assertThat(pool.at("/includeAll").asBoolean()).isTrue();

    SoftAssertions soft = new SoftAssertions();
    Set<Integer> ids = new HashSet<>();
    List<int[]> areas = new ArrayList<>();
    for (JsonNode panel : dashboard.at("/panels")) {
      String title = panel.at("/title").asText();
      soft.assertThat(title).as("a panel's title").isNotBlank();
      soft.assertThat(panel.at("/type").asText()).as("type of '%s'", title).isIn("stat", "timeseries");
      soft.assertThat(ids.add(panel.at("/id").asInt())).as("id %s of '%s' is unique", panel.at("/id"), title).isTrue();
      int[] area = {panel.at("/gridPos/x").asInt(-1), panel.at("/gridPos/y").asInt(-1),
          panel.at("/gridPos/w").asInt(0), panel.at("/gridPos/h").asInt(0)};
      soft.assertThat(area[0] >= 0 && area[1] >= 0 && area[2] > 0 && area[3] > 0 && area[0] + area[2] <= 24)
          .as("gridPos of '%s' lies within the 24 columns: %s", title, panel.at("/gridPos")).isTrue();
      for (int[] other : areas) {
        boolean overlap = area[0] < other[0] + other[2] && other[0] < area[0] + area[2]
            && area[1] < other[1] + other[3] && other[1] < area[1] + area[3];
        soft.assertThat(overlap).as("'%s' at %s overlaps another panel", title, panel.at("/gridPos")).isFalse();
      }
      areas.add(area);
      soft.assertThat(panel.at("/targets").size()).as("targets of '%s'", title).isPositive();
      Set<String> refIds = new HashSet<>();
      for (JsonNode target : panel.at("/targets")) {
        String expr = target.at("/expr").asText();
        soft.assertThat(expr).as("expr of '%s'", title).isNotBlank();
        soft.assertThat(refIds.add(target.at("/refId").asText())).as("refId of '%s' unique: %s", title, target.at("/refId"))
            .isTrue();
        soft.assertThat(target.at("/datasource/uid").asText()).as("datasource of '%s'", title).isEqualTo("${datasource}");
        Matcher metric = METRIC.matcher(expr);
        while (metric.find()) {
          soft.assertThat(metric.group(1)).as("'%s' filters %s by pool in: %s", title, metric.group(), expr)
              .isNotNull().contains("pool=~\"$pool\"");
        }
      }
    }
    soft.assertAll();
  }

  @Test
  void everyPanelQueryReturnsThePoolsSeriesFromARealPrometheus() throws IOException {
    Path prometheus = PrometheusProcess.executable().orElse(null);
    if (prometheus == null) {
      // CI installs Prometheus; there, its absence is a failure, not a reason to skip.
      assertThat(System.getenv("CI")).as(PrometheusProcess.NOT_FOUND + " (CI is set: it must be installed)").isNull();
      Assumptions.abort(PrometheusProcess.NOT_FOUND);
    }
    List<PanelQuery> queries = panelQueries(dashboard());
    // With a token, as a server beyond loopback must have: Prometheus scrapes with the documented configuration.
    ServerConfig config = ServerConfig.of(TestPools.demo(POOL).size(2).recycleAfterCalls(5).build())
        .withListen("127.0.0.1", 0).withToken(TOKEN);
    try (SnakepitServer server = SnakepitServer.start(config); Http http = new Http(server.uri()).withToken(TOKEN)) {
      Snakepit pool = server.pools().get(POOL);
      NoLeaks.sawWorkers(pool.workerPids());
      // Eleven calls on two workers: one of them answers five at least, its threshold (5, 10% jitter, rounded).
      makeCalls(http, 10);
      await("a worker recycled").atMost(WORKERS_SETTLE_WITHIN)
          .until(() -> settled(pool) && pool.stats().workersRecycled() >= 1);
      NoLeaks.sawWorkers(pool.workerPids());
      Processes.signal(pool.workerPids().getFirst(), "KILL"); // a ready worker, not one stopping after its recycle
      await("the killed worker replaced").atMost(WORKERS_SETTLE_WITHIN)
          .until(() -> settled(pool) && pool.stats().workersCrashed() == 1);
      NoLeaks.sawWorkers(pool.workerPids());

      String target = server.uri().getHost() + ":" + server.uri().getPort();
      try (PrometheusProcess scraper = PrometheusProcess.start(prometheus, target, TOKEN)) {
        scraper.awaitReady(PROMETHEUS_STARTS_WITHIN);
        await("Prometheus scraping " + target).atMost(SCRAPED_WITHIN).pollInterval(Duration.ofMillis(200))
            .untilAsserted(() -> assertThat(scraper.activeTargets())
                .as("targets: %s%s", scraper.activeTargets(), scraper.logTail())
                .anySatisfy(t -> {
                  assertThat(t.at("/labels/job").asText()).isEqualTo(PrometheusProcess.JOB);
                  assertThat(t.at("/health").asText()).isEqualTo("up");
                }));
        // Calls between scrapes, so that the rates over the window are above zero, not only present.
        makeCalls(http, 4);
        NoLeaks.sawWorkers(pool.workerPids());

        await("every panel's query answered").atMost(QUERIES_ANSWER_WITHIN).pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> {
              SoftAssertions soft = new SoftAssertions();
              for (PanelQuery query : queries) {
                checkAnswer(soft, query, scraper.query(query.expr()));
              }
              soft.assertAll();
            });
      }
      NoLeaks.sawWorkers(pool.workerPids());
    }
  }

  /** Two workers alive, both idle: no replacement or recycle under way. */
  private static boolean settled(Snakepit pool) {
    PoolStats stats = pool.stats();
    return stats.workers() == 2 && stats.idle() == 2;
  }

  /** {@code adds} successful calls and one that fails in Python. */
  private static void makeCalls(Http http, int adds) {
    for (int i = 0; i < adds; i++) {
      Http.Answer answer = http.post("/api/pools/" + POOL + "/tools/add", "{\"a\": " + i + "}");
      assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    }
    assertThat(http.post("/api/pools/" + POOL + "/tools/fail", "{\"message\": \"for the dashboard\"}").status()).isEqualTo(500);
  }

  /** A successful instant vector, with series of the pool only, at least one of them a number. */
  private static void checkAnswer(SoftAssertions soft, PanelQuery query, JsonNode answer) {
    soft.assertThat(answer.at("/status").asText()).as("status of %s: %s", query.describe(), answer).isEqualTo("success");
    JsonNode result = answer.at("/data/result");
    List<JsonNode> series = StreamSupport.stream(result.spliterator(), false).toList();
    soft.assertThat(series).as("series of %s", query.describe()).isNotEmpty();
    if (!series.isEmpty()) {
      // Every legend shows {{pool}}; a NaN everywhere (0 / 0) would draw an empty panel all the same.
      soft.assertThat(series).as("pool label of the series of %s: %s", query.describe(), result)
          .allSatisfy(s -> assertThat(s.at("/metric/pool").asText()).isEqualTo(POOL));
      soft.assertThat(series).as("values of %s: %s", query.describe(), result)
          .anySatisfy(s -> assertThat(Double.parseDouble(s.at("/value/1").asText())).isNotNaN());
    }
  }

  /** Every target's expression, with the dashboard's variables as Grafana would fill them in for {@link #POOL}. */
  private static List<PanelQuery> panelQueries(JsonNode dashboard) {
    List<PanelQuery> queries = new ArrayList<>();
    for (JsonNode panel : dashboard.at("/panels")) {
      for (JsonNode target : panel.at("/targets")) {
        String expr = target.at("/expr").asText()
            .replace("${datasource}", "prometheus")
            .replace("${pool}", POOL).replace("$pool", POOL)
            .replace("${__rate_interval}", RATE_INTERVAL).replace("$__rate_interval", RATE_INTERVAL)
            .replace("${__interval}", INTERVAL).replace("$__interval", INTERVAL);
        assertThat(expr).as("a variable this test does not fill in, in panel '%s'", panel.at("/title").asText())
            .doesNotContain("$");
        queries.add(new PanelQuery(panel.at("/title").asText(), target.at("/refId").asText(), expr));
      }
    }
    assertThat(queries).as("queries of the dashboard").isNotEmpty();
    return queries;
  }

  private static JsonNode variable(JsonNode variables, String name) {
    return StreamSupport.stream(variables.spliterator(), false).filter(v -> v.at("/name").asText().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no variable $" + name + " in templating.list: " + variables));
  }

  private static JsonNode dashboard() throws IOException {
    String repo = System.getProperty("snakepit.test.repo");
    Path root = repo == null || repo.isBlank() ? Path.of("..") : Path.of(repo);
    return Http.JSON.readTree(root.resolve("docs/grafana/snakepit-dashboard.json").toFile());
  }
}
