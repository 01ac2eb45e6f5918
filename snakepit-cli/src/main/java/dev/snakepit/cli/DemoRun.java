package dev.snakepit.cli;

import dev.snakepit.Call;
import dev.snakepit.CallResult;
import dev.snakepit.CallStream;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolStats;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One run of the demo: start a pool, make the calls from several threads while a progress bar runs,
 * kill a worker with SIGKILL part-way, wait for the pool to recover, close it, and check that no worker
 * process is left.
 *
 * <p>Caller threads only call and record; the thread running {@link #run()} draws the progress bar and
 * does the kill, woken by {@link #signals} or every {@link #TICK_MILLIS}. The caller that completes the
 * call at which the kill is due asks for it and waits until it is done, so the kill always lands while
 * calls are still running, however fast they are.
 */
final class DemoRun {
  private static final long TICK_MILLIS = 100;
  /** Far beyond what the calls need, but bounds a run whose pool has stopped answering. */
  private static final Duration RUN_LIMIT = Duration.ofMinutes(5);
  static final Duration RECOVERY_LIMIT = Duration.ofSeconds(30);
  static final Duration EXIT_LIMIT = Duration.ofSeconds(10);
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);
  private static final Object KILL = new Object();
  private static final Object CALLER_DONE = new Object();
  /** What the demo streams, a word at a time. */
  static final String STREAMED = "Python streams its result to Java one item at a time";

  private final DemoSettings settings;
  private final Terminal terminal;
  private final WorkerWatch watch = new WorkerWatch();
  private final BlockingQueue<Object> signals = new LinkedBlockingQueue<>();
  private final CountDownLatch killDone = new CountDownLatch(1);
  private final List<String> problems = new ArrayList<>();

  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger done = new AtomicInteger();
  /** Latency of call i in nanoseconds, or -1 when it did not return the expected value. Each index has one writer. */
  private final long[] latencies;
  private final WorkerShares shares;
  private final Map<ErrorKind, LongAdder> failures = new ConcurrentHashMap<>();
  private final Map<ErrorKind, String> firstFailures = new ConcurrentHashMap<>();
  private final LongAdder wrong = new LongAdder();
  private final AtomicLong firstStart = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastEnd = new AtomicLong(Long.MIN_VALUE);
  /** Set once by a caller thread. */
  private volatile String firstWrong;

  /** Main thread only. */
  private DemoResult.Kill kill;
  private boolean crashShown;
  private boolean replacementShown;

  DemoRun(DemoSettings settings, Terminal terminal) {
    this.settings = settings;
    this.terminal = terminal;
    this.latencies = new long[settings.calls()];
    Arrays.fill(latencies, -1);
    this.shares = new WorkerShares(settings.calls());
  }

  /**
   * Runs the demo.
   *
   * @throws SnakepitException if the pool cannot start
   */
  DemoResult run() throws InterruptedException {
    PoolConfig config = PoolConfig.builder(DemoSettings.ADAPTER)
        .name("demo")
        .size(settings.workers())
        .pythonExecutable(settings.python().executable())
        .listener(watch)
        .hostFunction("java_version", call -> Runtime.version().toString())
        .build();
    terminal.out().printf(Locale.ROOT, "snakepit demo: %d workers of %s on Python %s; %d calls (%s) from %d threads%s%n",
        settings.workers(), DemoSettings.ADAPTER, settings.python().version(), settings.calls(),
        String.join(", ", CallMix.tools()), settings.threads(),
        settings.kill() ? "; one worker is killed with SIGKILL after " + settings.killAfter() + " calls" : "");
    PoolStats afterRun;
    boolean recovered;
    Snakepit pool = Snakepit.start(config);
    try {
      watch.rememberAll(pool.workerPids());
      callAll(pool);
      recovered = awaitRecovery(pool);
      streamWords(pool);
      askJava(pool);
      afterRun = pool.stats();
      showKillEvents(null);
    } finally {
      pool.close();
    }
    PoolStats afterClose = pool.stats();
    List<Long> alive = awaitWorkersGone();
    return result(afterRun, recovered, afterClose, alive);
  }

  private void callAll(Snakepit pool) throws InterruptedException {
    ProgressBar bar = new ProgressBar(terminal.out(), terminal.interactive(), settings.calls());
    CountDownLatch finished = new CountDownLatch(settings.threads());
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < settings.threads(); t++) {
      callers.add(Thread.ofVirtual().name("demo-caller-" + t).start(() -> {
        try {
          callUntilDone(pool);
        } finally {
          finished.countDown();
          signals.add(CALLER_DONE);
        }
      }));
    }
    long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
    while (finished.getCount() > 0) {
      if (System.nanoTime() > deadline) {
        problems.add("the calls did not finish within " + RUN_LIMIT.toMinutes() + " minutes; "
            + done.get() + " of " + settings.calls() + " were done [" + pool.stats().describe() + "]");
        callers.forEach(Thread::interrupt);
        break;
      }
      if (signals.poll(TICK_MILLIS, TimeUnit.MILLISECONDS) == KILL) {
        killOne(pool, bar);
      }
      showKillEvents(bar);
      bar.update(done.get());
    }
    bar.finish(done.get());
    for (Thread caller : callers) {
      caller.join(Duration.ofSeconds(10));
    }
  }

  private void callUntilDone(Snakepit pool) {
    int i;
    while ((i = next.getAndIncrement()) < settings.calls() && !Thread.currentThread().isInterrupted()) {
      CallMix.Expected expected = CallMix.call(i);
      long start = System.nanoTime();
      firstStart.accumulateAndGet(start, Math::min);
      try {
        CallResult result = pool.executeDetailed(expected.call());
        long elapsed = System.nanoTime() - start;
        if (Objects.equals(result.value(), expected.result())) {
          latencies[i] = elapsed;
          shares.record(i, result);
        } else {
          wrong(i, "returned " + result.value() + ", expected " + expected.result());
        }
      } catch (SnakepitException e) {
        failures.computeIfAbsent(e.kind(), k -> new LongAdder()).increment();
        firstFailures.putIfAbsent(e.kind(), e.getMessage());
      } catch (RuntimeException e) {
        wrong(i, "threw " + e);
      }
      lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
      if (done.incrementAndGet() == settings.killAfter() && settings.kill()) {
        requestKill();
      }
    }
  }

  private void wrong(int i, String what) {
    wrong.increment();
    if (firstWrong == null) {
      firstWrong = "call " + i + " (" + CallMix.call(i).call().tool() + ") " + what;
    }
  }

  /** Called by the caller thread whose call made the kill due; waits until it has been done. */
  private void requestKill() {
    signals.add(KILL);
    try {
      killDone.await(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void killOne(Snakepit pool, ProgressBar bar) {
    try {
      // Off the terminal first: the pool logs the death as soon as it sees it, and that line must not
      // land in the middle of the bar. The bar stays off until the replacement is ready.
      bar.pause();
      List<Long> pids = pool.workerPids();
      watch.rememberAll(pids);
      if (pids.isEmpty()) {
        problems.add("no worker was alive to kill after " + done.get() + " calls");
        return;
      }
      // A worker in the middle of a call shows what a crash costs: that call, and nothing else. Nothing
      // slow may run between this choice and the kill, or the worker may have moved on.
      long pid = watch.busyAmong(pids).orElse(pids.get(0));
      boolean busy = watch.isBusy(pid);
      watch.killing(pid);
      boolean requested = ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
      int after = done.get(); // read once: the line and the report must tell the same count
      String id = watch.idOf(pid);
      bar.note(String.format(Locale.ROOT, "killed worker %s (pid %d) with SIGKILL %s, after %d of %d calls", id, pid,
          busy ? "in the middle of a call" : "while it was idle", after, settings.calls()));
      if (!requested) {
        problems.add("could not kill worker pid " + pid + ": it was already gone");
      }
      kill = new DemoResult.Kill(pid, id, after, null, null, -1);
    } finally {
      killDone.countDown();
    }
  }

  /** Prints the death and the replacement of the killed worker once each, as the pool reports them. */
  private void showKillEvents(ProgressBar bar) {
    if (kill == null) {
      return;
    }
    kill = new DemoResult.Kill(kill.pid(), kill.workerId(), kill.afterCalls(), watch.crash().orElse(null),
        watch.replacement().orElse(null), watch.recoveryNanos());
    if (kill.crash() != null && !crashShown) {
      crashShown = true;
      line(bar, String.format(Locale.ROOT, "  %s (pid %d) died: %s; the pool replaces it", kill.crash().workerId(),
          kill.pid(), kill.crash().exit() == null ? kill.crash().reason() : kill.crash().exit().describe()));
    }
    if (kill.replacement() != null && !replacementShown) {
      replacementShown = true;
      line(bar, String.format(Locale.ROOT, "  %s (pid %d) replaced it, ready %d ms after the kill",
          kill.replacement().workerId(), kill.replacement().pid(), TimeUnit.NANOSECONDS.toMillis(kill.recoveryNanos())));
    }
    if (bar != null && (replacementShown || System.nanoTime() - watch.killedAtNanos() > KILL_WAIT.toNanos())) {
      bar.resume();
    }
  }

  private void line(ProgressBar bar, String text) {
    if (bar != null) {
      bar.note(text);
    } else {
      terminal.out().println(text);
    }
  }

  /**
   * Streams the words of a sentence from the demo adapter's generator tool, printing each as it comes,
   * and checks that all came, in order.
   */
  private void streamWords(Snakepit pool) {
    List<String> words = List.of(STREAMED.split(" "));
    List<Object> received = new ArrayList<>();
    terminal.out().print("streamed from a generator:");
    long start = System.nanoTime();
    long first = -1;
    try (CallStream stream = pool.stream(Call.of("words").withArg("text", STREAMED).withArg("seconds", 0.02))) {
      while (stream.hasNext()) {
        Object word = stream.next();
        first = first < 0 ? System.nanoTime() - start : first;
        received.add(word);
        terminal.out().print(" " + word);
        terminal.out().flush();
      }
    } catch (SnakepitException e) {
      problems.add("the streamed call failed after " + received.size() + " items: " + e.getMessage());
    }
    terminal.out().printf(Locale.ROOT, "%n  (%d items, the first after %.1f ms, all in %.1f ms)%n", received.size(),
        first / 1e6, (System.nanoTime() - start) / 1e6);
    if (!received.equals(words)) {
      problems.add("the streamed call gave " + received + ", expected " + words);
    }
  }

  /** A tool that calls a Java function back: the demo adapter's {@code ask_java}, with the JVM's version. */
  private void askJava(Snakepit pool) {
    String expected = "Java's java_version says '" + Runtime.version() + "'";
    try {
      Object said = pool.execute("ask_java", Map.of("function", "java_version"));
      terminal.out().println("a tool called Java back: " + said);
      if (!expected.equals(said)) {
        problems.add("the call from Python to Java gave " + said + ", expected " + expected);
      }
    } catch (SnakepitException e) {
      problems.add("the call from Python to Java failed: " + e.getMessage());
    }
  }

  /** Waits until the pool is back at full size, every worker ready, and (after a kill) a replacement started. */
  private boolean awaitRecovery(Snakepit pool) throws InterruptedException {
    long deadline = System.nanoTime() + RECOVERY_LIMIT.toNanos();
    while (true) {
      PoolStats stats = pool.stats();
      boolean replaced = kill == null || stats.workersReplaced() >= 1;
      if (isFull(stats) && replaced) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20); // polls a condition with a bound; the pool has no event for "back at full size"
    }
  }

  static boolean isFull(PoolStats stats) {
    return stats.healthy() && stats.workers() == stats.targetSize() && stats.starting() == 0
        && stats.idle() + stats.busy() == stats.targetSize();
  }

  /** Waits until no worker process ever seen is alive, or {@link #EXIT_LIMIT}; returns those still alive. */
  private List<Long> awaitWorkersGone() throws InterruptedException {
    long deadline = System.nanoTime() + EXIT_LIMIT.toNanos();
    List<Long> alive = watch.alive();
    while (!alive.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20); // polls a condition with a bound: processes we do not own have no exit event
      alive = watch.alive();
    }
    return alive;
  }

  private DemoResult result(PoolStats afterRun, boolean recovered, PoolStats afterClose, List<Long> alive) {
    long[] ok = new long[settings.calls()];
    int okCount = 0;
    for (long latency : latencies) {
      if (latency >= 0) {
        ok[okCount++] = latency;
      }
    }
    Map<ErrorKind, Long> failed = new EnumMap<>(ErrorKind.class);
    failures.forEach((kind, count) -> failed.put(kind, count.sum()));
    long elapsed = lastEnd.get() > firstStart.get() ? lastEnd.get() - firstStart.get() : 0;
    DemoResult measured = new DemoResult(settings, okCount, failed, firstFailures, wrong.sum(), firstWrong,
        Latencies.of(ok, okCount), shares.summary(kill), elapsed, kill, afterRun, recovered, afterClose, watch.seenCount(),
        alive, problems);
    return measured.withProblems(DemoVerdict.problems(measured));
  }
}
