package dev.snakepit.testing;

import static org.awaitility.Awaitility.await;

import dev.snakepit.Snakepit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.assertj.core.api.Assertions;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Fails a test class that leaves a Python process, a thread or a file descriptor behind.
 *
 * <p>Before the class it notes what exists; after it, it waits up to five seconds (exits and thread
 * ends are asynchronous) for everything new to be gone, and otherwise fails naming each leftover:
 *
 * <ul>
 *   <li>processes: the JVM's descendants; every process carrying this JVM's {@link #OWNER_VARIABLE}
 *       in its environment (set on every pool by {@link TestPools}, inherited by whatever a worker
 *       starts, even after it is re-parented to init); every member of a process group led by a
 *       worker the tests saw. A zombie counts as gone;
 *   <li>threads: every new platform thread, except the JDK's and the test framework's own, which
 *       are created lazily and live for the JVM's life;
 *   <li>file descriptors: every descriptor in {@code /proc/self/fd} that is new or now points
 *       elsewhere. No tolerance: the first class warms the JVM up once (a real pool started, used
 *       and closed), so jar files and devices the JDK opens lazily and keeps are open before any
 *       baseline is taken.
 * </ul>
 *
 * <p>Every wait polls in the calling thread, so the check creates no thread of its own.
 */
public final class NoLeaks implements BeforeAllCallback, AfterAllCallback {
  /** The environment variable marking a pool's processes as started by this JVM. */
  public static final String OWNER_VARIABLE = "POOLTESTS_OWNER";
  /** This JVM's pid: the value of {@link #OWNER_VARIABLE} in its workers' environment. */
  public static final String OWNER = Long.toString(ProcessHandle.current().pid());

  private static final Duration SETTLE = Duration.ofSeconds(5);
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoLeaks.class);
  /** Threads that the JDK or the test framework start on first use and keep; never the pool's. */
  private static final List<String> BENIGN_THREADS = List.of(
      "process reaper", "ForkJoinPool", "Attach Listener", "Common-Cleaner", "Cleaner-",
      "CompletableFutureDelayScheduler", "junit-jupiter-timeout-watcher", "surefire-forkedjvm-",
      "Signal Dispatcher", "Reference Handler", "Finalizer", "Notification Thread");
  /** Pids of workers the tests saw; their process groups must be empty at the end. */
  private static final Set<Long> WORKERS_SEEN = ConcurrentHashMap.newKeySet();
  private static volatile boolean warmedUp;

  /** Notes worker pids, whose process groups are then checked too. */
  public static void sawWorkers(Collection<Long> pids) {
    WORKERS_SEEN.addAll(pids);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    warmUpOnce();
    context.getStore(NAMESPACE).put(context.getRequiredTestClass(), Snapshot.take());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Snapshot before = context.getStore(NAMESPACE).get(context.getRequiredTestClass(), Snapshot.class);
    try {
      await().pollInSameThread().atMost(SETTLE).pollInterval(Duration.ofMillis(50))
          .until(() -> Snapshot.take().leaksSince(before).isEmpty());
    } catch (ConditionTimeoutException e) {
      List<String> leaks = Snapshot.take().leaksSince(before);
      if (!leaks.isEmpty()) {
        throw new AssertionError(context.getRequiredTestClass().getSimpleName() + " left behind, "
            + SETTLE.toSeconds() + " s after its last test:\n  " + String.join("\n  ", leaks));
      }
    }
  }

  private static synchronized void warmUpOnce() {
    if (warmedUp) {
      return;
    }
    try (Snakepit pool = TestPools.start(TestPools.demo("warm-up"))) {
      pool.execute("ping", Map.of());
      pool.executeAsync("ping", Map.of()).join();
    }
    parkAVirtualThreadOnASocket();
    // The JDK opens each jar when the first class in it loads, and keeps it open: load one class of
    // every test library now, so that no class's baseline misses a jar its tests open.
    List<Class<?>> libraries = List.of(Assertions.class, Awaitility.class, ParameterizedTest.class,
        ch.qos.logback.classic.Logger.class);
    warmedUp = libraries.stream().allMatch(c -> c.getName() != null);
  }

  /**
   * A virtual thread that blocks on a socket parks on the JDK's pollers, which start on first use and
   * live for the JVM's life (a platform thread and epoll descriptors): start them now, as an HTTP
   * server's request threads would, so that no class's baseline misses them.
   */
  private static void parkAVirtualThreadOnASocket() {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (ServerSocket server = new ServerSocket(0, 1, loopback);
        Socket client = new Socket(loopback, server.getLocalPort());
        Socket accepted = server.accept()) {
      Thread reader = Thread.ofVirtual().start(() -> {
        try {
          accepted.getInputStream().read();
        } catch (IOException e) {
          // The byte below, or the close: either ends the read.
        }
      });
      await().pollInSameThread().atMost(SETTLE).pollInterval(Duration.ofMillis(5))
          .until(() -> reader.getState() == Thread.State.WAITING || !reader.isAlive());
      client.getOutputStream().write(1);
      reader.join(SETTLE.toMillis());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What existed at one moment. */
  private record Snapshot(Set<Long> processes, Map<Long, String> threads, Map<Integer, String> descriptors) {

    static Snapshot take() {
      Map<Long, String> threads = new TreeMap<>();
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (t.isAlive()) {
          threads.put(t.threadId(), t.getName());
        }
      }
      return new Snapshot(ourProcesses(), threads, openDescriptors());
    }

    List<String> leaksSince(Snapshot before) {
      List<String> leaks = new ArrayList<>();
      for (long pid : processes) {
        if (!before.processes.contains(pid)) {
          leaks.add("process " + pid + ": " + Processes.commandLine(pid));
        }
      }
      threads.forEach((id, name) -> {
        if (!before.threads.containsKey(id) && (name.startsWith("snakepit-") || !benign(name))) {
          leaks.add("thread '" + name + "'");
        }
      });
      descriptors.forEach((fd, target) -> {
        if (!target.equals(before.descriptors.get(fd))) {
          leaks.add("file descriptor " + fd + " -> " + target);
        }
      });
      return leaks;
    }

    private static boolean benign(String name) {
      return BENIGN_THREADS.stream().anyMatch(name::startsWith);
    }

    private static Set<Long> ourProcesses() {
      long self = ProcessHandle.current().pid();
      Set<Long> found = new TreeSet<>();
      ProcessHandle.current().descendants().forEach(p -> found.add(p.pid()));
      for (long pid : Processes.all()) {
        if (pid == self) {
          continue;
        }
        if (Processes.hasEnvironment(pid, OWNER_VARIABLE, OWNER)) {
          found.add(pid);
          if (Processes.processGroup(pid).orElse(-1) == pid) {
            WORKERS_SEEN.add(pid); // a worker leads its own group: remember it for the group check
          }
        } else if (WORKERS_SEEN.contains(Processes.processGroup(pid).orElse(-1))) {
          found.add(pid);
        }
      }
      found.removeIf(pid -> !Processes.isRunning(pid));
      return found;
    }

    private static Map<Integer, String> openDescriptors() {
      Path fds = Path.of("/proc/self/fd");
      Map<Integer, String> found = new TreeMap<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
        for (Path entry : entries) {
          try {
            found.put(Integer.parseInt(entry.getFileName().toString()), Files.readSymbolicLink(entry).toString());
          } catch (IOException e) {
            // Closed between the listing and the read: not open any more.
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot list " + fds, e);
      }
      // The listing's own descriptor.
      found.values().removeIf(target -> target.startsWith("/proc/") && target.endsWith("/fd"));
      return found;
    }
  }
}
