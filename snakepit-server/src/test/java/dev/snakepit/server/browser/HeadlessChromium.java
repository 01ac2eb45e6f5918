package dev.snakepit.server.browser;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A headless Chromium for tests, driven over the Chrome DevTools Protocol with nothing but the JDK's
 * WebSocket and Jackson.
 *
 * <pre>{@code
 * assumeTrue(HeadlessChromium.available(), HeadlessChromium.NOT_FOUND);
 * try (HeadlessChromium browser = HeadlessChromium.launch()) {
 *   Page page = browser.open(uri);
 *   page.waitFor("document.querySelectorAll('tr.worker').length === 2", "document.body.innerText", Duration.ofSeconds(10));
 *   assertThat(page.consoleErrors()).isEmpty();
 * }
 * }</pre>
 *
 * <p>Each browser runs on a new profile in a temporary directory, which is also its HOME. Closing it
 * ends every process it started (zygotes, renderers, utilities, crash handlers), deletes the
 * directory, and leaves no thread or file descriptor behind, whatever state the test left it in.
 * Every wait is bounded: by the timeout given at launch, 15 s by default, or the one given to
 * {@link Page#waitFor}.
 */
public final class HeadlessChromium implements AutoCloseable {
  /** The system property naming the browser executable, to use another than the one found. */
  public static final String EXECUTABLE_PROPERTY = "snakepit.test.chromium";
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);
  /** Why the browser tests were skipped, for {@code Assumptions.assumeTrue(available(), NOT_FOUND)}. */
  public static final String NOT_FOUND = "no Chromium found (system property " + EXECUTABLE_PROPERTY
      + ", /usr/bin/chromium, or chromium, chromium-browser or google-chrome on the PATH): install the Debian "
      + "package chromium (apt-get install chromium), as CI does, to run the browser tests";

  private static final Path DEBIAN_CHROMIUM = Path.of("/usr/bin/chromium");
  private static final List<String> NAMES_ON_PATH = List.of("chromium", "chromium-browser", "google-chrome");

  private final BrowserProcess process;
  private final CdpConnection cdp;
  private final Duration timeout;
  private final AtomicBoolean closed = new AtomicBoolean();

  private HeadlessChromium(BrowserProcess process, CdpConnection cdp, Duration timeout) {
    this.process = process;
    this.cdp = cdp;
    this.timeout = timeout;
  }

  /** Whether a browser can be found; a misspelt {@value #EXECUTABLE_PROPERTY} fails rather than skips. */
  public static boolean available() {
    return executable().isPresent();
  }

  /** The browser {@link #launch()} would start: the system property's, else Debian's, else the first on the PATH. */
  public static Optional<Path> executable() {
    String configured = System.getProperty(EXECUTABLE_PROPERTY, "");
    if (!configured.isBlank()) {
      Path path = Path.of(configured);
      if (!Files.isExecutable(path)) {
        throw new IllegalStateException(EXECUTABLE_PROPERTY + "=" + configured + " is not an executable file");
      }
      return Optional.of(path);
    }
    if (Files.isExecutable(DEBIAN_CHROMIUM)) {
      return Optional.of(DEBIAN_CHROMIUM);
    }
    List<Path> path = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty()).map(Path::of).toList();
    return NAMES_ON_PATH.stream().flatMap(name -> path.stream().map(dir -> dir.resolve(name)))
        .filter(Files::isExecutable).findFirst();
  }

  /** Starts a browser and connects to it, waiting up to {@link #DEFAULT_TIMEOUT} for each step. */
  public static HeadlessChromium launch() {
    return launch(DEFAULT_TIMEOUT);
  }

  /** Starts a browser and connects to it; {@code timeout} bounds every later wait too. */
  public static HeadlessChromium launch(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    Path executable = executable().orElseThrow(() -> new BrowserException(NOT_FOUND));
    BrowserProcess process = BrowserProcess.start(executable);
    try {
      return new HeadlessChromium(process, new CdpConnection(process.devToolsUrl(timeout), timeout), timeout);
    } catch (RuntimeException e) {
      try {
        process.end();
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** Opens {@code url} in a new tab and waits for its load event; the tab's errors are collected from the start. */
  public Page open(URI url) {
    if (closed.get()) {
      throw new IllegalStateException("the browser is closed");
    }
    Page page = Page.create(cdp, timeout);
    try {
      page.navigate(url);
    } catch (RuntimeException e) {
      try {
        page.close();
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    return page;
  }

  /** Every process of this browser now: itself, its descendants and its crash handlers. */
  List<ProcessHandle> processes() {
    return process.processes();
  }

  /** Ends the browser and all its processes and deletes its profile; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    RuntimeException failure = null;
    try {
      cdp.close();
    } catch (RuntimeException e) {
      failure = e;
    }
    try {
      process.end();
    } catch (RuntimeException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
