package dev.snakepit.server.browser;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One browser tab, driven over the browser's DevTools connection.
 *
 * <p>Its errors are collected from the moment the tab exists, before its first navigation, so a
 * script that fails while the page loads is reported. A page that declares no favicon makes the
 * browser ask for {@code /favicon.ico}, and the 404 it usually gets is an error like any other: give
 * every page a {@code <link rel="icon">}, with {@code href="data:,"} if it has no icon.
 */
public final class Page implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(100);
  /** How much longer than its own timeout a {@link #waitFor} may wait for the browser's answer. */
  private static final Duration ANSWER_MARGIN = Duration.ofSeconds(5);
  /** Polls in the page, on the page's own timers, so that the test's thread only waits for one answer. */
  private static final String POLL_SCRIPT = """
      (async () => {
        const show = value => {
          try { return JSON.stringify(value) ?? String(value); } catch (e) { return String(value); }
        };
        const deadline = Date.now() + %d;
        let last;
        for (;;) {
          try {
            last = await (
      %s
            );
            if (last) return {met: true};
            last = show(last);
          } catch (e) {
            last = 'threw ' + e;
          }
          if (Date.now() >= deadline) break;
          await new Promise(resolve => setTimeout(resolve, %d));
        }
        let diagnostic;
        try {
          diagnostic = show(await (
      %s
          ));
        } catch (e) {
          diagnostic = 'threw ' + e;
        }
        return {met: false, last, diagnostic, url: location.href};
      })()
      """;

  private final CdpConnection cdp;
  private final String targetId;
  private final String sessionId;
  private final Duration timeout;
  private final ConsoleErrors errors = new ConsoleErrors();
  /**
   * The loads seen, by loader id: completed by the socket's thread, awaited and removed by {@link
   * #navigate}. Loads nobody awaits (a script's own navigations, frames) stay until the tab closes.
   */
  private final Map<String, CompletableFuture<Void>> loads = new ConcurrentHashMap<>();
  private final Consumer<CdpConnection.Event> listener = this::onEvent;
  private final AtomicBoolean closed = new AtomicBoolean();

  private Page(CdpConnection cdp, String targetId, String sessionId, Duration timeout) {
    this.cdp = cdp;
    this.targetId = targetId;
    this.sessionId = sessionId;
    this.timeout = timeout;
  }

  /** Opens a blank tab and starts collecting its errors and loads. */
  static Page create(CdpConnection cdp, Duration timeout) {
    String targetId = cdp.call("Target.createTarget", Map.of("url", "about:blank")).path("targetId").asText();
    String sessionId = cdp.call("Target.attachToTarget", Map.of("targetId", targetId, "flatten", true)).path("sessionId").asText();
    Page page = new Page(cdp, targetId, sessionId, timeout);
    cdp.addListener(page.listener);
    try {
      page.call("Page.enable", Map.of());
      page.call("Page.setLifecycleEventsEnabled", Map.of("enabled", true));
      page.call("Runtime.enable", Map.of());
      page.call("Log.enable", Map.of());
    } catch (RuntimeException e) {
      page.close();
      throw e;
    }
    return page;
  }

  /** Loads {@code url} in this tab and waits for its load event: its scripts have run, its images are in. */
  public void navigate(URI url) {
    JsonNode navigation = call("Page.navigate", Map.of("url", url.toString()));
    String error = navigation.path("errorText").asText();
    if (!error.isEmpty()) {
      throw new BrowserException("cannot load " + url + ": " + error);
    }
    String loaderId = navigation.path("loaderId").asText();
    if (loaderId.isEmpty()) {
      return; // a move within the same document, which fires no load
    }
    // Keyed by loader, so that a late load of the previous document cannot be taken for this one.
    CompletableFuture<Void> load = loads.computeIfAbsent(loaderId, id -> new CompletableFuture<>());
    try {
      load.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      throw new BrowserException(url + " did not finish loading within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrowserException("interrupted while " + url + " loaded", e);
    } finally {
      loads.remove(loaderId);
    }
  }

  /**
   * The value of a JavaScript expression, as JSON; a promise is awaited. {@code undefined} is JSON
   * null, and {@code NaN}, {@code Infinity} or a BigInt their text. Throws if the script throws.
   */
  public JsonNode evaluate(String expression) {
    return run(expression, expression, timeout);
  }

  /** {@link #evaluate(String)}, mapped to {@code type} by Jackson: {@code String}, {@code Integer}, a record... */
  public <T> T evaluate(String expression, Class<T> type) {
    JsonNode value = evaluate(expression);
    try {
      return JSON.treeToValue(value, type);
    } catch (JsonProcessingException e) {
      throw new BrowserException("`" + expression + "` returned " + value + ", which is no " + type.getSimpleName(), e);
    }
  }

  /** {@link #waitFor(String, String, Duration)} without a diagnostic. */
  public void waitFor(String condition, Duration timeout) {
    waitFor(condition, null, timeout);
  }

  /**
   * Waits until the expression {@code condition} is truthy, evaluating it every 100 ms (a promise is
   * awaited; a throw counts as false). If the page navigates meanwhile, the wait goes on in the new
   * document. On timeout, fails with the condition, its last value and the value of {@code diagnostic}
   * (an expression showing what the page looked like, or null).
   */
  public void waitFor(String condition, String diagnostic, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long remaining = Math.max(0, deadline - System.nanoTime());
      String script = POLL_SCRIPT.formatted(TimeUnit.NANOSECONDS.toMillis(remaining), condition, POLL.toMillis(),
          diagnostic == null ? "undefined" : diagnostic);
      JsonNode outcome;
      try {
        outcome = run(script, "waitFor(`" + condition + "`)", Duration.ofNanos(remaining).plus(ANSWER_MARGIN));
      } catch (BrowserException e) {
        if (remaining > 0 && navigatedAway(e)) {
          continue; // the document it polled in is gone: poll in the new one
        }
        throw e;
      }
      if (outcome.path("met").asBoolean()) {
        return;
      }
      throw new AssertionError("`" + condition + "` was still not true after " + timeout.toMillis() + " ms on "
          + outcome.path("url").asText() + "; its last value: " + outcome.path("last").asText()
          + (diagnostic == null ? "" : "; `" + diagnostic + "` is " + outcome.path("diagnostic").asText()));
    }
  }

  /**
   * Every error since the tab opened, oldest first: {@code console.error} and failed {@code
   * console.assert} calls, uncaught exceptions and unhandled rejections, and the browser's own
   * errors, such as a resource that failed to load (the favicon of a page that declares none).
   */
  public List<String> consoleErrors() {
    return errors.snapshot();
  }

  /** Writes what the viewport shows to {@code png}, creating its directory; returns {@code png}. */
  public Path screenshot(Path png) {
    return capture(png, Map.of("format", "png"));
  }

  /** Writes the whole page, beyond the viewport as far as it extends, to {@code png}; returns {@code png}. */
  public Path fullPageScreenshot(Path png) {
    JsonNode size = call("Page.getLayoutMetrics", Map.of()).path("cssContentSize");
    Map<String, Object> clip = Map.of("x", 0, "y", 0, "scale", 1,
        "width", size.path("width").asDouble(), "height", size.path("height").asDouble());
    return capture(png, Map.of("format", "png", "captureBeyondViewport", true, "clip", clip));
  }

  /** Closes the tab. Closing the browser closes it too. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    cdp.removeListener(listener);
    if (cdp.isOpen()) {
      cdp.call("Target.closeTarget", Map.of("targetId", targetId));
    }
  }

  private JsonNode call(String method, Map<String, ?> params) {
    return cdp.call(sessionId, method, params, timeout);
  }

  /** Runs {@code script}, naming it {@code shownAs} if it throws, and returns its value. */
  private JsonNode run(String script, String shownAs, Duration wait) {
    JsonNode answer = cdp.call(sessionId, "Runtime.evaluate",
        Map.of("expression", script, "returnByValue", true, "awaitPromise", true), wait);
    JsonNode details = answer.get("exceptionDetails");
    if (details != null) {
      throw new BrowserException(shownAs + " threw: " + ConsoleErrors.describe(details));
    }
    JsonNode result = answer.path("result");
    if (result.has("value")) {
      return result.get("value");
    }
    if (result.has("unserializableValue")) {
      return TextNode.valueOf(result.get("unserializableValue").asText());
    }
    return NullNode.getInstance();
  }

  /** Whether a call failed because the document it ran in was replaced. */
  private static boolean navigatedAway(BrowserException e) {
    String message = e.getMessage();
    return message.contains("Execution context was destroyed") || message.contains("Inspected target navigated")
        || message.contains("Cannot find context");
  }

  private Path capture(Path png, Map<String, ?> params) {
    byte[] image = Base64.getDecoder().decode(call("Page.captureScreenshot", params).path("data").asText());
    try {
      Files.createDirectories(png.toAbsolutePath().getParent());
      return Files.write(png, image);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the screenshot " + png, e);
    }
  }

  private void onEvent(CdpConnection.Event event) {
    if (!sessionId.equals(event.sessionId())) {
      return;
    }
    if (event.method().equals("Page.lifecycleEvent")) {
      if (event.params().path("name").asText().equals("load")) {
        loads.computeIfAbsent(event.params().path("loaderId").asText(), id -> new CompletableFuture<>()).complete(null);
      }
    } else {
      errors.note(event);
    }
  }
}
