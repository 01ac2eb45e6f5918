package dev.snakepit.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.Call;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.PoolStats;
import dev.snakepit.RecycleReason;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.internal.process.ProcStat;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The design notes' chaos scenarios, with our thresholds. Tagged {@code chaos}: CI runs them at the
 * "ci" scale, {@code ./snakepit chaos} at the "full" one. Each prints a {@code chaos-figure} line with
 * what it measured, for docs/reliability.md.
 */
@Tag("chaos")
@PoolTest
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ChaosSuiteTest {
  private static final int CALLS = 50;

  @Test
  void randomKillsDuringFiftyCallsWithRetriesLoseNone() throws Exception {
    // Harsher than below, so that kills surely land on running calls: with retries none may fail.
    Stats stats = callsUnderRandomKills("kills-retried", 3, 0.1, Duration.ofMillis(150));
    assertThat(stats.succeeded()).isEqualTo(CALLS);
    assertThat(stats.retried()).isPositive();
  }

  @Test
  void randomKillsDuringFiftyCallsWithoutRetriesLoseAtMostOneInTen() throws Exception {
    Stats stats = callsUnderRandomKills("kills-plain", 0, 0.05, Duration.ofMillis(300));
    assertThat(stats.succeeded()).isGreaterThanOrEqualTo(CALLS * 9 / 10);
  }

  @Test
  void randomKillsUnderPipeliningLoseNoCallAndMixNoAnswers() throws Exception {
    // Six callers on two workers keep calls written ahead (pipelineDepth 2) on every worker that is
    // killed: those never begun go elsewhere, the running ones are retried, and every caller gets its
    // own answer.
    ownAnswersUnderKills("kills-pipelined", ChaosPools.builder("kills-pipelined").pipelineDepth(2), 6,
        (mine, i) -> i % 2 == 0 ? Call.of("echo").withArg("value", mine) : Call.of("sleep").withArg("seconds", 0.02));
  }

  @Test
  void randomKillsUnderConcurrentCallsLoseNoCallAndMixNoAnswers() throws Exception {
    // Eight callers on two workers that run up to 8 calls of echo_async at once: each kill ends several
    // calls in flight, which are retried, beside serial calls of echo; every caller gets its own answer.
    ownAnswersUnderKills("kills-concurrent", ChaosPools.builder("kills-concurrent"), 8,
        (mine, i) -> i % 4 == 0 ? Call.of("echo").withArg("value", mine)
            : Call.of("echo_async").withArg("value", mine).withArg("seconds", 0.05));
  }

  /**
   * Callers on two workers, 25 calls each, made by {@code calls} from the caller's own token and the
   * call's index, with 3 retries, while a random worker is SIGKILLed every 150 ms; none may fail, and
   * each call that answers a value answers the token it was given (or nothing, for sleep).
   */
  private static void ownAnswersUnderKills(String name, PoolConfig.Builder builder, int callers,
      BiFunction<String, Integer, Call> calls) throws Exception {
    try (Snakepit pool = ChaosPools.start(builder.size(2).acquireTimeout(Duration.ofSeconds(20))
        .crashLoop(1000, Duration.ofMinutes(1)).maxCrashRate(1000))) {
      SplittableRandom random = new SplittableRandom(11);
      AtomicInteger kills = new AtomicInteger();
      AtomicInteger wrong = new AtomicInteger();
      List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
      ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();
      List<Thread> threads = new ArrayList<>();
      try {
        killer.scheduleAtFixedRate(() -> Faults.killRandomWorker(pool, random).ifPresent(pid -> kills.incrementAndGet()),
            150, 150, TimeUnit.MILLISECONDS);
        for (int t = 0; t < callers; t++) {
          int caller = t;
          threads.add(Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 25; i++) {
              try {
                String mine = caller + "-" + i;
                Call call = calls.apply(mine, i).withRetries(3);
                Object answer = pool.execute(call);
                if (!call.tool().equals("sleep") && !mine.equals(answer)) {
                  wrong.incrementAndGet();
                }
              } catch (RuntimeException e) {
                failures.add(e);
              }
            }
          }));
        }
        for (Thread thread : threads) {
          thread.join(60_000);
        }
      } finally {
        killer.shutdownNow();
        killer.awaitTermination(10, TimeUnit.SECONDS);
      }
      assertThat(failures).isEmpty();
      assertThat(wrong).hasValue(0);
      assertThat(kills.get()).isPositive();
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.stats().idle() == 2 && pool.health().healthy());
      System.out.printf("chaos-figure: %s: %d/%d calls answered with their own answer, %d kills, %d retries%n",
          name, callers * 25, callers * 25, kills.get(), pool.stats().callsRetried());
    }
  }

  private record Stats(int succeeded, long retried) {}

  /** Fifty calls in a row on 5 workers while a random worker is SIGKILLed at a fixed rate. */
  private Stats callsUnderRandomKills(String name, int retries, double seconds, Duration killEvery) throws Exception {
    // Kills by the dozen are the point here: the crash-loop circuit must not hold replacements back,
    // nor may their rate take the pool out of readiness once they stop.
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder(name).size(5).acquireTimeout(Duration.ofSeconds(20))
        .crashLoop(1000, Duration.ofMinutes(1)).maxCrashRate(1000))) {
      SplittableRandom random = new SplittableRandom(name.hashCode());
      AtomicInteger kills = new AtomicInteger();
      ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();
      int succeeded = 0;
      List<ErrorKind> failures = new ArrayList<>();
      try {
        killer.scheduleAtFixedRate(() -> Faults.killRandomWorker(pool, random).ifPresent(pid -> kills.incrementAndGet()),
            killEvery.toMillis(), killEvery.toMillis(), TimeUnit.MILLISECONDS);
        for (int i = 0; i < CALLS; i++) {
          try {
            pool.execute(Call.of("sleep").withArg("seconds", seconds).withRetries(retries));
            succeeded++;
          } catch (SnakepitException e) {
            failures.add(e.kind());
          }
        }
      } finally {
        killer.shutdownNow();
        killer.awaitTermination(10, TimeUnit.SECONDS);
      }
      assertThat(failures).allMatch(kind -> kind == ErrorKind.WORKER_CRASHED);
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.stats().idle() == 5 && pool.health().healthy());
      assertThat(pool.execute("ping", Map.of())).isNull();
      System.out.printf("chaos-figure: %s: %d/%d calls of %.0f ms succeeded, a kill every %d ms: %d kills, %d retries,"
          + " %d replacements%n", name, succeeded, CALLS, seconds * 1000, killEvery.toMillis(), kills.get(),
          pool.stats().callsRetried(), pool.stats().workersReplaced());
      return new Stats(succeeded, pool.stats().callsRetried());
    }
  }

  @Test
  void reloadsUnderRandomKillsLoseNoCall() throws Exception {
    // Four callers on two workers, a worker SIGKILLed every 150 ms, and the pool reloaded again and
    // again meanwhile: a kill may hit a new generation before its gate (the reload rolls back, the old
    // one serves on) or after; an idempotent call may be retried, and none may fail.
    PoolConfig.Builder builder = ChaosPools.builder("reload-kills").size(2).acquireTimeout(Duration.ofSeconds(20))
        .crashLoop(1000, Duration.ofMinutes(1)).maxCrashRate(1000);
    int reloads = ChaosPools.scaled(10, 40);
    try (Snakepit pool = ChaosPools.start(builder)) {
      SplittableRandom random = new SplittableRandom(7);
      List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger calls = new AtomicInteger();
      AtomicInteger kills = new AtomicInteger();
      int reloaded = 0;
      int rolledBack = 0;
      AtomicBoolean stop = new AtomicBoolean();
      ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();
      List<Thread> callers = new ArrayList<>();
      try {
        for (int t = 0; t < 4; t++) {
          callers.add(Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
              try {
                pool.execute(Call.of("sleep").withArg("seconds", 0.01).withRetries(3));
                calls.incrementAndGet();
              } catch (RuntimeException e) {
                failures.add(e);
              }
            }
          }));
        }
        killer.scheduleAtFixedRate(() -> Faults.killRandomWorker(pool, random).ifPresent(pid -> kills.incrementAndGet()),
            150, 150, TimeUnit.MILLISECONDS);
        for (int i = 0; i < reloads; i++) {
          int before = calls.get();
          await().atMost(Duration.ofSeconds(30)).until(() -> calls.get() >= before + 40 || !failures.isEmpty());
          try {
            pool.reload(builder.build()).previousStopped().get(60, TimeUnit.SECONDS);
            reloaded++;
          } catch (SnakepitException e) {
            assertThat(e.getMessage()).contains("rolled back");
            rolledBack++;
          }
          NoLeaks.sawWorkers(pool.workerPids());
        }
      } finally {
        killer.shutdownNow();
        killer.awaitTermination(10, TimeUnit.SECONDS);
        stop.set(true);
        for (Thread caller : callers) {
          caller.join(60_000);
        }
      }
      assertThat(failures).isEmpty();
      assertThat(reloaded).isPositive();
      // A rolled-back generation's number is taken again by the next attempt.
      assertThat(pool.generation()).isEqualTo(1 + reloaded);
      await().atMost(Duration.ofSeconds(30)).until(() -> pool.stats().idle() == 2 && pool.health().ready());
      System.out.printf("chaos-figure: reload under kills: %d calls, none failed, %d reloads (%d rolled back), %d kills,"
          + " %d retries%n", calls.get(), reloaded + rolledBack, rolledBack, kills.get(), pool.stats().callsRetried());
    }
  }

  @Test
  void afterASupervisorFailureNoOldPythonProcessSurvives() {
    int size = ChaosPools.scaled(5, 10);
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("supervisor-chaos").size(size))) {
      List<Long> old = new ArrayList<>(pool.workerPids());
      List<CompletableFuture<Object>> spawns = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        spawns.add(pool.executeAsync(Call.of("spawn_grandchildren").withArg("count", 1)));
      }
      spawns.forEach(f -> ((List<?>) f.join()).forEach(pid -> old.add((Long) pid)));

      long failed = System.nanoTime();
      Faults.failSupervisor(pool, new IllegalStateException("chaos: supervisor failure"));

      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().state() == PoolStats.State.CLOSED);
      await().atMost(Duration.ofSeconds(2)).until(() -> old.stream().noneMatch(Processes::isRunning));
      System.out.printf("chaos-figure: supervisor failure: %d processes (workers and grandchildren) gone %d ms after it%n",
          old.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failed));
    }
  }

  @Test
  void leakingWorkersAreRecycledBeforeMemoryRunsShort() throws Exception {
    int calls = 100;
    long limit = 500L << 20;
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("leaky").size(3)
        .environment(ChaosAdapter.mode(ChaosAdapter.Mode.LEAK, 1))
        .recycleAboveMemory(limit).recycleAfterAge(Duration.ofSeconds(5)))) {
      AtomicLong peak = new AtomicLong();
      AtomicInteger failed = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(calls);
      ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
      try {
        // One call every 100 ms, as in the design notes; each leaks 100 MiB for good.
        pacer.scheduleAtFixedRate(() -> {
          if (done.getCount() == 0) {
            return;
          }
          try {
            pool.execute("work", Map.of());
          } catch (SnakepitException e) {
            failed.incrementAndGet();
          }
          for (long pid : pool.workerPids()) {
            peak.accumulateAndGet(ProcStat.treeResidentBytes(pid), Math::max);
          }
          done.countDown();
        }, 0, 100, TimeUnit.MILLISECONDS);
        assertThat(done.await(5, TimeUnit.MINUTES)).isTrue();
      } finally {
        pacer.shutdownNow();
        pacer.awaitTermination(30, TimeUnit.SECONDS);
      }
      PoolStats stats = pool.stats();
      System.out.printf("chaos-figure: leak: %d calls leaking 100 MiB each, %d recycles (%s), peak worker RSS %d MiB, limit %d MiB%n",
          calls, stats.workersRecycled(), stats.recycles(), peak.get() >> 20, limit >> 20);
      assertThat(failed.get()).isZero();
      assertThat(stats.workersRecycled()).isGreaterThan(5);
      assertThat(stats.recycles().get(RecycleReason.MEMORY)).isPositive();
      // Memory is read once a second, and the worker serves on until its replacement is ready: at
      // 10 calls a second, each leaking 100 MiB, it overshoots the limit by 1 to 2 GiB, never more.
      assertThat(peak.get()).isLessThan(limit * 6);
      assertThat(pool.execute("ping", Map.of())).isNull();
      assertThat(pool.health().healthy()).isTrue();
    }
  }

  @Test
  void rapidPoolStartsAndStopsLeakNothing() throws IOException {
    int cycles = ChaosPools.scaled(20, 100);
    int size = ChaosPools.scaled(4, 10);
    cycle(0, size); // the JDK opens some files on first use and keeps them
    long descriptors = openDescriptors();
    long start = System.nanoTime();

    for (int i = 1; i <= cycles; i++) {
      cycle(i, size);
    }

    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    await().atMost(Duration.ofSeconds(10)).until(() -> openDescriptors() <= descriptors && chaosThreads() == 0
        && ProcessHandle.current().children().noneMatch(ProcessHandle::isAlive));
    assertThat(openDescriptors()).isEqualTo(descriptors);
    System.out.printf("chaos-figure: %d pools of %d workers (behind the proxy) started, used and closed in %d ms, %d ms each;"
        + " descriptors back to %d%n", cycles, size, millis, millis / cycles, descriptors);
  }

  private static void cycle(int i, int size) {
    try (DataPlaneProxy proxy = new DataPlaneProxy();
        Snakepit pool = ChaosPools.start(ChaosPools.builder("burst-" + i).size(size).dataPlaneInterceptor(proxy))) {
      assertThat(pool.execute("echo", Map.of("value", i))).isEqualTo((long) i);
    }
  }

  @Test
  void aHangIsCutAtItsDeadlineWithItsStackInTheErrorAndTheWorkerReplaced() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("hang").size(2)
        .callTimeout(Duration.ofSeconds(1)).cancelGrace(Duration.ofSeconds(1)))) {
      List<Long> before = pool.workerPids();
      long start = System.nanoTime();

      SnakepitException error = catchThrowableOfType(SnakepitException.class,
          () -> pool.execute(Call.of("hang").withArg("ignore_cancel", true)));

      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(error.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertThat(error.getMessage()).contains("timed out after 1000 ms", "did not stop within the cancel grace",
          "most recent call first", "in hang");
      assertThat(took).isLessThan(Duration.ofSeconds(1 + 1).plus(ChaosDriver.GRACE));
      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().idle() == 2 && !pool.workerPids().containsAll(before));
      assertThat(pool.execute("ping", Map.of())).isNull();
      System.out.printf("chaos-figure: hang: TIMEOUT with the stack after %d ms (timeout 1000 ms, cancel grace 1000 ms)%n",
          took.toMillis());
    }
  }

  @Test
  void aHangThatHonoursTheCancelTimesOutWithItsTracebackAndTheWorkerServesOn() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("hang-cancellable").callTimeout(Duration.ofSeconds(1)))) {
      long worker = pool.workerPids().get(0);
      long start = System.nanoTime();

      SnakepitException error = catchThrowableOfType(SnakepitException.class,
          () -> pool.execute(Call.of("hang").withArg("ignore_cancel", false)));

      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(error.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertThat(error.getMessage()).contains("timed out after 1000 ms", "stopped when cancelled, in:", "hang");
      assertThat(error.pythonError()).isPresent();
      assertThat(pool.execute("ping", Map.of())).isNull();
      assertThat(pool.workerPids()).containsExactly(worker);
      System.out.printf("chaos-figure: cancellable hang: TIMEOUT with the traceback after %d ms (timeout 1000 ms)%n", took);
    }
  }

  @Test
  void aKilledJvmLeavesNoPythonProcess() throws Exception {
    int runs = ChaosPools.scaled(3, 20);
    long[] gone = new long[runs];
    for (int i = 0; i < runs; i++) {
      JvmCrashHarness.Report report = JvmCrashHarness.forAdapter(ChaosAdapter.ADAPTER)
          .pythonPath(ChaosAdapter.pythonPath()).python(TestPools.python())
          .environment(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER)
          .size(5).warmUp("spawn_grandchildren")
          .killAndWatch(Duration.ofSeconds(2));
      assertThat(report.survivors()).as("run %d", i).isEmpty();
      gone[i] = report.gone().toMillis();
    }
    Arrays.sort(gone);
    System.out.printf("chaos-figure: JVM SIGKILL: %d runs, every process gone, median %d ms, slowest %d ms%n", runs,
        gone[runs / 2], gone[runs - 1]);
  }

  private static long openDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  private static long chaosThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("snakepit-burst-")
        || t.getName().startsWith("snakepit-chaos-proxy-burst-")).count();
  }
}
