package dev.snakepit.server.browser;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Chromium processes started for one {@link HeadlessChromium}, and their scratch directory.
 *
 * <p>Chromium forks zygotes, which fork the renderers, and GPU, network and storage utilities: all
 * descendants of the process started here. Its crash handlers (crashpad) are not: they double-fork
 * away, to init, and are found instead by their command line, which names their crash database in
 * HOME. HOME points into the scratch directory, so nothing is written outside it and the handlers'
 * command lines mention it. Ending the browser notes every process first, because a descendant whose
 * parent has died is re-parented away and could no longer be found.
 *
 * <p>Chromium announces its DevTools address on stderr; a reader thread drains stderr for the
 * browser's whole life (a full pipe would block it) and keeps the last lines for failure messages.
 */
final class BrowserProcess {
  /**
   * Headless; without the sandbox, the only way Chromium runs as root (as in CI's containers); and
   * quiet on the network: without the background-networking flags Chromium phones home at start-up,
   * which a closed network answers with errors and delays. The pages under test are local, so no
   * proxy from the environment may see them. Not {@code --disable-crashpad-for-testing}, which would
   * keep the crash handlers from starting: outside Chromium's own test harness it makes the network
   * service crash at every start, and no page loads.
   */
  static final List<String> FLAGS = List.of(
      "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--disable-extensions", "--metrics-recording-only", "--mute-audio",
      "--no-proxy-server", "--remote-debugging-port=0", "--window-size=1400,1000");

  private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final int TAIL_LINES = 20;
  private static final Duration GRACE = Duration.ofSeconds(5);
  private static final Duration POLL = Duration.ofMillis(10);

  private final Process process;
  private final Path scratch;
  private final Thread stderrReader;
  private final CompletableFuture<URI> devTools = new CompletableFuture<>();
  /** Completed by the reader thread when it ends, at the end of stderr. */
  private final CompletableFuture<Void> stderrClosed = new CompletableFuture<>();
  /** The last lines Chromium wrote to stderr; guarded by itself. */
  private final Deque<String> tail = new ArrayDeque<>();
  /** Whether the thread in {@link #end} was interrupted, to interrupt it again when done; only it touches this. */
  private boolean interruptedWhileEnding;

  private BrowserProcess(Process process, Path scratch) {
    this.process = process;
    this.scratch = scratch;
    this.stderrReader = Thread.ofPlatform().daemon().name("chromium-stderr-" + process.pid()).unstarted(this::readStderr);
  }

  /** Starts {@code executable} on a new, empty profile, showing {@code about:blank}. */
  static BrowserProcess start(Path executable) {
    Path scratch;
    try {
      scratch = Files.createTempDirectory("snakepit-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a profile directory for Chromium", e);
    }
    List<String> command = new ArrayList<>();
    command.add(executable.toString());
    command.addAll(FLAGS);
    command.add("--user-data-dir=" + scratch.resolve("profile"));
    command.add("about:blank");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("HOME", scratch.toString());
    Process process;
    try {
      process = builder.start();
      process.getOutputStream().close(); // Chromium reads nothing from stdin
    } catch (IOException e) {
      deleteTree(scratch);
      throw new BrowserException("cannot start " + executable + ": " + e.getMessage(), e);
    }
    BrowserProcess browser = new BrowserProcess(process, scratch);
    browser.stderrReader.start();
    // Once its last words are read, so that the failure can quote them.
    CompletableFuture.allOf(process.onExit(), browser.stderrClosed).thenRun(() -> browser.devTools.completeExceptionally(
        new BrowserException("Chromium exited with " + process.exitValue() + " before it listened for DevTools")));
    return browser;
  }

  /** Waits up to {@code timeout} for the browser's DevTools WebSocket address. */
  URI devToolsUrl(Duration timeout) {
    try {
      return devTools.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new BrowserException("Chromium (pid " + process.pid() + ") did not announce DevTools within "
          + timeout.toMillis() + " ms" + stderrTail());
    } catch (ExecutionException e) {
      throw new BrowserException(e.getCause().getMessage() + stderrTail(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BrowserException("interrupted while Chromium started", e);
    }
  }

  /** "; its stderr ended with:" and the last lines, for a failure message. */
  private String stderrTail() {
    synchronized (tail) {
      return tail.isEmpty() ? "; it wrote nothing to stderr"
          : tail.stream().map(line -> "\n  " + line).collect(Collectors.joining("", "; its stderr ended with:", ""));
    }
  }

  /**
   * Ends the browser and every process it started, then deletes the profile. Asks first (SIGTERM to
   * the browser, which takes the others along), then kills whatever is left; every wait is bounded,
   * and an interrupt does not cut the cleanup short. Throws if a process outlives it.
   *
   * <p>The sign that the others have gone is the end of stderr, which each of them inherited: the
   * JDK sees the exit of a process that is not its child only by polling, and not at all while it is
   * a zombie, which it stays until init reaps it, up to seconds later in some containers. A zombie
   * counts as gone here: it holds nothing but its entry in the process table.
   */
  void end() {
    interruptedWhileEnding = Thread.interrupted();
    try {
      List<ProcessHandle> tree = processes();
      process.destroy();
      awaitUninterruptibly(process.onExit()); // our child: once reaped, so no longer among our descendants
      awaitUninterruptibly(stderrClosed);
      List<ProcessHandle> left = awaitGone(tree);
      if (!left.isEmpty()) {
        left.forEach(ProcessHandle::destroyForcibly);
        left = awaitGone(left);
      }
      awaitUninterruptibly(stderrClosed);
      closeStderr();
      deleteTree(scratch);
      if (!left.isEmpty()) {
        throw new BrowserException("Chromium processes outlived SIGKILL by " + GRACE.toMillis() + " ms: "
            + left.stream().map(p -> p.pid() + " " + p.info().command().orElse("?")).toList());
      }
      if (!stderrClosed.isDone()) {
        throw new BrowserException("Chromium's stderr was still open " + GRACE.toMillis()
            + " ms after its processes ended: a process outside its tree holds it");
      }
    } finally {
      if (interruptedWhileEnding) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The browser, its descendants, and its crash handlers, which run elsewhere in the process tree. */
  List<ProcessHandle> processes() {
    String marker = scratch.toString() + File.separator; // not a prefix of another browser's directory
    Stream<ProcessHandle> crashHandlers = ProcessHandle.allProcesses()
        .filter(p -> Arrays.stream(p.info().arguments().orElse(new String[0])).anyMatch(arg -> arg.contains(marker)));
    return Stream.of(Stream.of(process.toHandle()), process.descendants(), crashHandlers)
        .flatMap(s -> s).distinct().toList();
  }

  /**
   * Waits up to {@link #GRACE} for {@code processes} to exit and returns those still running. It
   * polls, every 10 ms, for want of an event: normally every one has gone by the first look.
   */
  private List<ProcessHandle> awaitGone(List<ProcessHandle> processes) {
    long deadline = System.nanoTime() + GRACE.toNanos();
    List<ProcessHandle> running = processes.stream().filter(BrowserProcess::isRunning).toList();
    while (!running.isEmpty() && deadline - System.nanoTime() > 0) {
      LockSupport.parkNanos(POLL.toNanos());
      interruptedWhileEnding |= Thread.interrupted(); // else every later park would return at once
      running = running.stream().filter(BrowserProcess::isRunning).toList();
    }
    return running;
  }

  /** Whether {@code p} exists and has not exited; a zombie, read from Linux's /proc, has exited. */
  private static boolean isRunning(ProcessHandle p) {
    if (!p.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
      // "pid (command) state ...": the command may hold spaces and parentheses, the state follows the last ')'.
      int state = stat.lastIndexOf(')') + 2;
      return state >= stat.length() || stat.charAt(state) != 'Z';
    } catch (IOException e) {
      return p.isAlive(); // no /proc here, or the process has just gone
    }
  }

  /** Waits up to {@link #GRACE} for {@code future}, through interrupts. */
  private void awaitUninterruptibly(CompletableFuture<?> future) {
    long deadline = System.nanoTime() + GRACE.toNanos();
    while (true) {
      try {
        future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        return;
      } catch (InterruptedException e) {
        interruptedWhileEnding = true;
      } catch (TimeoutException | ExecutionException e) {
        return; // the caller looks at what is still running
      }
    }
  }

  private void closeStderr() {
    try {
      process.getErrorStream().close();
    } catch (IOException e) {
      // Nothing more to read from it either way.
    }
  }

  private void readStderr() {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        synchronized (tail) {
          if (tail.size() == TAIL_LINES) {
            tail.removeFirst();
          }
          tail.addLast(line);
        }
        Matcher listening = LISTENING.matcher(line);
        if (listening.find()) {
          devTools.complete(URI.create(listening.group(1)));
        }
      }
    } catch (IOException e) {
      // The stream was closed under us by end(): the browser is gone.
    } finally {
      stderrClosed.complete(null);
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete Chromium's profile directory " + root, e);
    }
  }
}
