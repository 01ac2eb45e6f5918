package dev.snakepit.server.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.Processes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real headless Chromium against pages served by the JDK's HTTP server: values from scripts,
 * waiting for a page to change, the errors a page reports (and the ones a sound page does not),
 * screenshots, and a close that ends every process the browser started.
 */
@ExtendWith(NoLeaks.class)
class HeadlessChromiumTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  /** Sound: sets its title from a script, counts ticks every 100 ms, and declares a favicon. */
  private static final String COUNTER_PAGE = """
      <!doctype html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <link rel="icon" href="data:,">
        <title>loading</title>
      </head>
      <body>
        <h1>Counter</h1>
        <p>Ticks: <span id="count">0</span></p>
        <script>
          document.title = 'Counter ready';
          let ticks = 0;
          setInterval(() => { document.getElementById('count').textContent = String(++ticks); }, 100);
        </script>
      </body>
      </html>
      """;
  private static final String FAILING_PAGE = """
      <!doctype html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <link rel="icon" href="data:,">
        <title>failing</title>
      </head>
      <body>
        <script>
          console.error('something went wrong:', 42);
          throw new Error('boom');
        </script>
      </body>
      </html>
      """;
  private static final String PAGE_WITHOUT_ICON = """
      <!doctype html>
      <html lang="en">
      <head><meta charset="utf-8"><title>no icon</title></head>
      <body><p>No icon declared, so the browser asks for /favicon.ico.</p></body>
      </html>
      """;

  private static HttpServer server;
  private static HeadlessChromium browser;

  @BeforeAll
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  static void startServerAndBrowser() throws IOException {
    assumeTrue(HeadlessChromium.available(), HeadlessChromium.NOT_FOUND);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    serve("/counter", COUNTER_PAGE);
    serve("/failing", FAILING_PAGE);
    serve("/no-icon", PAGE_WITHOUT_ICON);
    server.start(); // any other path, /favicon.ico among them, is a 404
    browser = HeadlessChromium.launch();
  }

  @AfterAll
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  static void stopServerAndBrowser() {
    try {
      if (browser != null) {
        browser.close();
      }
    } finally {
      if (server != null) {
        server.stop(0);
      }
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void evaluateReturnsTheValueOfTheExpressionAsJson() throws IOException {
    try (Page page = browser.open(url("/counter"))) {
      assertThat(page.evaluate("document.title").asText()).isEqualTo("Counter ready");
      assertThat(page.evaluate("6 * 7").asInt()).isEqualTo(42);
      assertThat(page.evaluate("Promise.resolve({ticks: [1, 2], done: true})"))
          .isEqualTo(JSON.readTree("{\"ticks\": [1, 2], \"done\": true}"));
      assertThat(page.evaluate("document.querySelector('h1').textContent", String.class)).isEqualTo("Counter");
      assertThat(page.evaluate("undefined").isNull()).isTrue();
      assertThat(page.evaluate("0 / 0").asText()).isEqualTo("NaN");
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void evaluateThrowsWithTheErrorOfTheScript() {
    try (Page page = browser.open(url("/counter"))) {
      assertThatThrownBy(() -> page.evaluate("document.querySelector('#missing').textContent"))
          .isInstanceOf(BrowserException.class)
          .hasMessageContaining("TypeError");
      assertThatThrownBy(() -> page.evaluate("Promise.reject(new Error('refused'))"))
          .isInstanceOf(BrowserException.class)
          .hasMessageContaining("Error: refused");
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void waitForSeesTheCounterReachThree() {
    try (Page page = browser.open(url("/counter"))) {
      page.waitFor("Number(document.getElementById('count').textContent) >= 3", WAIT);

      assertThat(page.evaluate("Number(document.getElementById('count').textContent)").asInt()).isGreaterThanOrEqualTo(3);
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void waitForFailsWithTheConditionItsLastValueAndTheDiagnostic() {
    try (Page page = browser.open(url("/counter"))) {
      assertThatThrownBy(() -> page.waitFor("window.neverSet === true",
          "'ticks: ' + document.getElementById('count').textContent", Duration.ofMillis(300)))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("`window.neverSet === true` was still not true after 300 ms on " + url("/counter"))
          .hasMessageContaining("its last value: false")
          .hasMessageContaining("is \"ticks: ");
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void waitForGoesOnInTheNextDocumentWhenThePageNavigates() {
    try (Page page = browser.open(url("/counter"))) {
      page.evaluate("setTimeout(() => location.assign('/counter?second'), 200)");

      page.waitFor("location.search === '?second' && Number(document.getElementById('count').textContent) >= 2", WAIT);
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void aSoundPageWithAFaviconReportsNoErrors() {
    try (Page page = browser.open(url("/counter"))) {
      page.waitFor("Number(document.getElementById('count').textContent) >= 3", WAIT);

      assertThat(page.consoleErrors()).isEmpty();
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void aPageWithoutAFaviconReportsTheMissingIcon() {
    try (Page page = browser.open(url("/no-icon"))) {
      // The browser asks for the icon after the load event.
      await().atMost(WAIT).untilAsserted(() -> assertThat(page.consoleErrors())
          .anySatisfy(error -> assertThat(error).contains("404").contains(url("/favicon.ico").toString())));
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void reportsConsoleErrorsAndUncaughtExceptions() {
    try (Page page = browser.open(url("/failing"))) {
      // Both happen while the page loads, so they are in by its load event.
      assertThat(page.consoleErrors()).containsExactly(
          "console.error: something went wrong: 42 (" + url("/failing") + ":10:13)",
          "Uncaught Error: boom (" + url("/failing") + ":11:11)");
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void screenshotsArePngFiles(@TempDir Path dir) throws IOException {
    try (Page page = browser.open(url("/counter"))) {
      page.waitFor("Number(document.getElementById('count').textContent) >= 1", WAIT);

      for (Path png : new Path[] {page.screenshot(dir.resolve("shots/viewport.png")), page.fullPageScreenshot(dir.resolve("full.png"))}) {
        byte[] image = Files.readAllBytes(png);
        assertThat(Arrays.copyOf(image, PNG_SIGNATURE.length)).as(png.toString()).isEqualTo(PNG_SIGNATURE);
        assertThat(image.length).as(png.toString()).isGreaterThan(500);
      }
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void closeEndsEveryProcessTheBrowserStarted() {
    Set<Long> before = descendants();
    HeadlessChromium own = HeadlessChromium.launch();
    List<ProcessHandle> processes;
    try (own) {
      own.open(url("/counter")).waitFor("Number(document.getElementById('count').textContent) >= 1", WAIT);
      processes = own.processes();
      Set<Long> started = descendants();
      started.removeAll(before);
      assertThat(started).as("the browser, its zygotes and a renderer").hasSizeGreaterThanOrEqualTo(3);
    }
    own.close(); // a second close does nothing

    Set<Long> left = descendants();
    left.removeAll(before);
    assertThat(left).isEmpty();
    // Its crash handlers too, which are not descendants; an exited process that init has yet to reap is gone.
    assertThat(processes).noneMatch(p -> Processes.isRunning(p.pid()));
  }

  private static Set<Long> descendants() {
    return ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  private static URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private static void serve(String path, String html) {
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    server.createContext(path, exchange -> {
      try (exchange) {
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
    });
  }
}
