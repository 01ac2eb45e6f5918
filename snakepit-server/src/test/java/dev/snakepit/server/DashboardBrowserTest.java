package dev.snakepit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.Snakepit;
import dev.snakepit.server.browser.HeadlessChromium;
import dev.snakepit.server.browser.Page;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in a real headless Chromium, against a server running real workers: it loads without
 * a console error, updates live, and shows a worker killed from here as crashed and replaced. The
 * screenshot is kept under target/artifacts (CI keeps it; docs/images/dashboard.png is one of them).
 */
@PoolTest
class DashboardBrowserTest {
  private static final Duration SHOWN_WITHIN = Duration.ofSeconds(15);

  private static HeadlessChromium browser;

  @BeforeAll
  static void launch() {
    if (!HeadlessChromium.available()) {
      // CI installs Chromium; there, its absence is a failure, not a reason to skip.
      assertThat(System.getenv("CI")).as(HeadlessChromium.NOT_FOUND).isNull();
      Assumptions.abort(HeadlessChromium.NOT_FOUND);
    }
    browser = HeadlessChromium.launch();
  }

  @AfterAll
  static void close() {
    if (browser != null) {
      browser.close();
    }
  }

  @Test
  void showsAKilledWorkerAsCrashedAndItsReplacementWithoutAConsoleError() throws Exception {
    ServerConfig config = ServerConfig.of(TestPools.demo("models").size(2).build()).withListen("127.0.0.1", 0);
    AtomicBoolean calling = new AtomicBoolean(true);
    try (SnakepitServer server = SnakepitServer.start(config)) {
      Snakepit pool = server.pools().get("models");
      NoLeaks.sawWorkers(pool.workerPids());
      Thread load = Thread.ofPlatform().name("dashboard-test-load").start(() -> {
        while (calling.get()) {
          try {
            pool.execute("sleep", Map.of("seconds", 0.005));
          } catch (RuntimeException e) {
            // a call on the killed worker: the page shows it as failed
          }
        }
      });
      try (Page page = browser.open(server.uri())) {
        page.waitFor("(+document.body.dataset.snapshots || 0) >= 3 && document.querySelectorAll('tr.live').length === 2",
            "document.body.innerText.slice(0, 400)", SHOWN_WITHIN);
        assertThat(page.evaluate("document.getElementById('connection').dataset.state", String.class)).isEqualTo("live");
        assertThat(page.evaluate("document.querySelector('section[data-pool=\"models\"]').dataset.status", String.class))
            .isEqualTo("UP");

        long victim = pool.workerPids().getFirst();
        Processes.signal(victim, "KILL");
        page.waitFor("document.querySelector('tr[data-pid=\"" + victim + "\"][data-state=\"CRASHED\"]') !== null"
                + " && [...document.querySelectorAll('tr.live')].filter(r => r.dataset.pid !== '" + victim + "'"
                + " && r.dataset.state === 'READY').length === 2",
            "[...document.querySelectorAll('tr')].map(r => r.innerText).join(' | ')", SHOWN_WITHIN);
        String crash = page.evaluate("document.querySelector('.last-crash').innerText", String.class);
        assertThat(crash).contains("pid " + victim).contains("SIGKILL");
        assertThat(page.evaluate("document.querySelector('[data-tile=\"crashes\"] .value').innerText", String.class))
            .isEqualTo("1");
        page.waitFor("document.querySelector('[data-chart=\"calls per second\"] path').getAttribute('d').length > 10",
            SHOWN_WITHIN);
        NoLeaks.sawWorkers(pool.workerPids());

        Path artifacts = Path.of(System.getProperty("snakepit.test.artifacts", "target/artifacts"));
        Files.createDirectories(artifacts);
        Path png = page.fullPageScreenshot(artifacts.resolve("dashboard.png"));
        assertThat(Files.size(png)).isGreaterThan(10_000);
        assertThat(page.consoleErrors()).isEmpty();
      } finally {
        calling.set(false);
        load.join();
      }
    }
  }

  @Test
  void aServerWithATokenLetsTheBrowserInThroughTheTokenLink() throws Exception {
    String token = "dashboard-test-token-0123456789";
    ServerConfig config = ServerConfig.of(TestPools.demo("guarded").build()).withListen("127.0.0.1", 0).withToken(token);
    try (SnakepitServer server = SnakepitServer.start(config)) {
      NoLeaks.sawWorkers(server.pools().get("guarded").workerPids());
      try (Page page = browser.open(server.uri())) {
        assertThat(page.evaluate("document.title", String.class)).contains("token needed");
        page.navigate(server.uri().resolve("/?token=" + token));
        page.waitFor("(+document.body.dataset.snapshots || 0) >= 1 && document.querySelectorAll('tr.live').length === 1",
            "document.body.innerText.slice(0, 400)", SHOWN_WITHIN);
        assertThat(page.evaluate("location.pathname + location.search", String.class)).isEqualTo("/");
        // The first page was answered 401, which the browser reports; nothing after the token link fails.
        assertThat(page.consoleErrors()).allSatisfy(error -> assertThat(error).contains("401"));
      }
    }
  }
}
