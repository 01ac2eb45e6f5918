package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.WorkerEvent;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Reloads of running pools under load, against real workers: good code, code that fails to import,
 * open sessions, the gate's rules and misuse. Under load, no call may fail.
 */
@PoolTest
class ReloadTest {
  private static final String ONE = "pooltests.releases:ReleaseOne";
  private static final String TWO = "pooltests.releases:ReleaseTwo";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static PoolConfig.Builder release(String adapter, String pool) {
    return TestPools.builder(adapter, pool).size(2).acquireTimeout(Duration.ofSeconds(20));
  }

  private static Snakepit start(String pool) {
    return TestPools.start(release(ONE, pool));
  }

  private static Reload reload(Snakepit pool, PoolConfig.Builder builder, ReloadOptions options) {
    Reload reload = pool.reload(builder.build(), options);
    NoLeaks.sawWorkers(pool.workerPids());
    return reload;
  }

  @Test
  void aReloadToGoodCodeUnderLoadFailsNoCall() throws Exception {
    try (Snakepit pool = start("reload-good")) {
      List<Long> oldPids = pool.workerPids();
      try (Load load = new Load(pool, 4)) {
        load.awaitAnswers(20);
        Reload reload = reload(pool, release(TWO, "reload-good"), ReloadOptions.defaults().withWarmUp(Call.of("nap")
            .withArg("seconds", 0)));

        assertThat(reload.generation()).isEqualTo(2);
        assertThat(reload.previousGeneration()).isEqualTo(1);
        assertThat(pool.generation()).isEqualTo(2);
        assertThat(pool.config().adapter()).isEqualTo(TWO);
        long before = load.answers.get();
        load.awaitAnswers(before + 20);
        reload.previousStopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        load.awaitAnswers(load.answers.get() + 10);
        load.stop();

        assertThat(load.failures).isEmpty();
        assertThat(load.releases).containsExactlyInAnyOrder(1L, 2L);
      }
      List<?> answer = (List<?>) pool.execute("release", Map.of());
      assertThat(answer.get(0)).isEqualTo(2L);
      assertThat((String) answer.get(1)).matches("g2-w[12]");
      assertThat(pool.workers()).extracting(WorkerInfo::id).containsExactly("g2-w1", "g2-w2");
      await().atMost(WAIT).until(() -> oldPids.stream().noneMatch(Processes::isRunning));
      assertThat(pool.health().ready()).isTrue();
    }
  }

  @Test
  void theCountersAddUpBothGenerations() throws Exception {
    try (Snakepit pool = start("reload-counters")) {
      for (int i = 0; i < 5; i++) {
        pool.execute("add", Map.of("a", i, "b", 1));
      }
      Reload reload = reload(pool, release(TWO, "reload-counters"), ReloadOptions.defaults());
      reload.previousStopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      for (int i = 0; i < 3; i++) {
        pool.execute("add", Map.of("a", i, "b", 1));
      }

      PoolStats stats = pool.stats();
      assertThat(stats.callsSucceeded()).isEqualTo(8);
      assertThat(stats.workersStarted()).isEqualTo(4);
      assertThat(stats.workers()).isEqualTo(2);
      assertThat(stats.idle()).isEqualTo(2);
    }
  }

  @Test
  void aReloadToCodeThatFailsToImportIsRolledBackWhileTheOldGenerationServesEveryCall() throws Exception {
    try (Snakepit pool = start("reload-broken")) {
      List<Long> pids = pool.workerPids();
      try (Load load = new Load(pool, 4)) {
        load.awaitAnswers(20);

        assertThatThrownBy(() -> reload(pool, release("pooltests.broken_import:Never", "reload-broken"), ReloadOptions.defaults()))
            .isInstanceOfSatisfying(SnakepitException.class, e -> {
              assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
              assertThat(e.getMessage()).contains("reload of pool 'reload-broken' rolled back, generation 1 serves on")
                  .contains("generation 2 failed its gate, it did not start").contains("_no_such_module");
            });

        load.awaitAnswers(load.answers.get() + 20);
        load.stop();
        assertThat(load.failures).isEmpty();
        assertThat(load.releases).containsExactly(1L);
      }
      assertThat(pool.generation()).isEqualTo(1);
      assertThat(pool.workerPids()).containsExactlyInAnyOrderElementsOf(pids);
      assertThat(pool.workers()).extracting(WorkerInfo::id).containsExactly("w1", "w2");
      assertThat(pool.health().ready()).isTrue();
      // The failed generation's attempt does not block the next one.
      assertThat(reload(pool, release(TWO, "reload-broken"), ReloadOptions.defaults()).generation()).isEqualTo(2);
    }
  }

  @Test
  void anOpenSessionKeepsItsGenerationUntilItClosesWhileOtherCallsMoveOn() throws Exception {
    try (Snakepit pool = start("reload-sessions")) {
      Session session = pool.openSession();
      assertThat(session.execute("remember", Map.of("item", "a"))).isEqualTo(List.of(1L, 1L));
      Reload reload;
      try (Load load = new Load(pool, 3)) {
        load.awaitAnswers(10);
        reload = reload(pool, release(TWO, "reload-sessions"), ReloadOptions.defaults().withDrainTimeout(Duration.ofMinutes(1)));
        load.awaitAnswers(load.answers.get() + 20);

        // The session's state is where it was; the generation holding it serves it alone.
        assertThat(session.execute("remember", Map.of("item", "b"))).isEqualTo(List.of(1L, 2L));
        assertThat(reload.previousStopped()).isNotDone();
        assertThat(pool.workers()).extracting(WorkerInfo::state).contains(WorkerInfo.State.DRAINING, WorkerInfo.State.READY);
        try (Session fresh = pool.openSession()) {
          assertThat(fresh.execute("remember", Map.of("item", "c"))).isEqualTo(List.of(2L, 1L));
        }
        load.stop();
        assertThat(load.failures).isEmpty();
        assertThat(load.releases).contains(2L);
      }
      session.close();
      reload.previousStopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(pool.workers()).extracting(WorkerInfo::id).containsExactly("g2-w1", "g2-w2");
      assertThat(pool.stats().sessions()).isZero();
    }
  }

  @Test
  void aReloadWhileAnEarlierGenerationStillDrainsLeavesEachToEndOnItsOwn() throws Exception {
    try (Snakepit pool = start("reload-twice")) {
      Session session = pool.openSession();
      session.execute("remember", Map.of("item", "a"));
      Reload second = reload(pool, release(TWO, "reload-twice"), ReloadOptions.defaults());
      Reload third = reload(pool, release(ONE, "reload-twice"), ReloadOptions.defaults());

      third.previousStopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(pool.generation()).isEqualTo(3);
      assertThat(second.previousStopped()).as("generation 1 holds the session").isNotDone();
      assertThat(pool.workers()).extracting(WorkerInfo::id).containsExactly("w1", "w2", "g3-w1", "g3-w2");
      assertThat(session.execute("remember", Map.of("item", "b"))).isEqualTo(List.of(1L, 2L));
      assertThat(pool.stats().workersStarted()).isEqualTo(6);

      session.close();
      second.previousStopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(pool.workers()).extracting(WorkerInfo::id).containsExactly("g3-w1", "g3-w2");
      assertThat(pool.execute("nap", Map.of("seconds", 0))).isEqualTo(1L);
    }
  }

  @Test
  void aSessionStillOpenAfterTheDrainTimeoutEndsWithItsGeneration() throws Exception {
    try (Snakepit pool = start("reload-drain-timeout")) {
      Session session = pool.openSession();
      session.execute("remember", Map.of("item", "a"));
      Reload reload = reload(pool, release(TWO, "reload-drain-timeout"), ReloadOptions.defaults().withDrainTimeout(Duration.ZERO));
      reload.previousStopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThatThrownBy(() -> session.execute("remember", Map.of("item", "b")))
          .isInstanceOfSatisfying(SnakepitException.class,
              e -> {
                assertThat(e.kind()).isEqualTo(ErrorKind.SESSION_LOST);
                assertThat(e.getMessage()).contains("is lost: its generation of workers, 1, was stopped when the drain timeout"
                    + " of a reload (PT0S) ran out");
              });
      session.close();
      assertThat(pool.execute("nap", Map.of("seconds", 0))).isEqualTo(2L);
    }
  }

  @Test
  void aToolTheNewCodeLacksFailsTheGateUnlessItIsAllowedToGo() {
    try (Snakepit pool = start("reload-tools")) {
      PoolConfig.Builder lacking = release("pooltests.releases:ReleaseWithoutNap", "reload-tools");
      assertThatThrownBy(() -> reload(pool, lacking, ReloadOptions.defaults()))
          .isInstanceOfSatisfying(SnakepitException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
            assertThat(e.getMessage()).contains("it lacks tools [nap, release, remember] that generation 1 has");
          });
      assertThat(pool.generation()).isEqualTo(1);
      assertThat(pool.execute("nap", Map.of("seconds", 0))).isEqualTo(1L);

      Reload reload = reload(pool, lacking, ReloadOptions.defaults().withMissingToolsAllowed("nap", "release", "remember"));
      assertThat(reload.generation()).isEqualTo(2);
      assertThat(pool.tools()).extracting(ToolInfo::name).containsExactly("add");
    }
  }

  @Test
  void aFailedWarmUpCallRollsTheReloadBack() {
    try (Snakepit pool = start("reload-warm-up")) {
      assertThatThrownBy(() -> reload(pool, release(TWO, "reload-warm-up"), ReloadOptions.defaults().withWarmUp(Call.of("add"))))
          .isInstanceOfSatisfying(SnakepitException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
            assertThat(e.getMessage()).contains("rolled back").contains("its warm-up call of tool 'add' failed");
          });
      assertThat(pool.generation()).isEqualTo(1);
      assertThat(pool.workers()).extracting(WorkerInfo::id).containsExactly("w1", "w2");
    }
  }

  @Test
  void aListenerAddedToThePoolHearsTheNewGeneration() throws Exception {
    try (Snakepit pool = start("reload-listener")) {
      List<String> started = new CopyOnWriteArrayList<>();
      pool.addListener(new PoolListener() {
        @Override
        public void workerStart(WorkerEvent event) {
          started.add(event.workerId());
        }
      });
      reload(pool, release(TWO, "reload-listener"), ReloadOptions.defaults()).previousStopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(started).containsExactlyInAnyOrder("g2-w1", "g2-w2");
    }
  }

  @Test
  void misuseIsRefusedWithTheRule() {
    Snakepit pool = start("reload-misuse");
    try {
      assertThatThrownBy(() -> pool.reload(release(TWO, "another-name").build()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Snakepit.reload: config.name = 'another-name' is invalid: it must be the pool's own name, 'reload-misuse'");
      assertThatThrownBy(() -> pool.reload(null)).isInstanceOf(NullPointerException.class)
          .hasMessage("Snakepit.reload: config must not be null");
      assertThatThrownBy(() -> ReloadOptions.defaults().withDrainTimeout(Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("ReloadOptions.drainTimeout = PT-1S is invalid: it must be between 0 and PT24H");
      assertThatThrownBy(() -> ReloadOptions.defaults().withMissingToolsAllowed("nap", " "))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none null or blank");
    } finally {
      pool.close();
    }
    assertThatThrownBy(() -> pool.reload(release(TWO, "reload-misuse").build()))
        .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.POOL_CLOSED));
  }

  /** Callers that call the pool in a loop, plain, async and in batches, until stopped; every failure is kept. */
  private static final class Load implements AutoCloseable {
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    final Set<Long> releases = ConcurrentHashMap.newKeySet();
    final AtomicLong answers = new AtomicLong();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    Load(Snakepit pool, int callers) {
      for (int t = 0; t < callers; t++) {
        int kind = t % 3;
        threads.add(Thread.ofPlatform().name("reload-load-" + t).start(() -> {
          Call call = Call.of("nap").withArg("seconds", 0.005);
          while (!stopped.get()) {
            try {
              // Plain calls, asynchronous ones, and batches of three.
              List<Object> answered = switch (kind) {
                case 0 -> List.of(pool.execute(call));
                case 1 -> List.of(pool.executeAsync(call).join());
                default -> {
                  BatchResult batch = pool.map(call, List.of(Map.of(), Map.of(), Map.of()));
                  batch.failedIndexes().forEach(i -> failures.add(batch.error(i).orElseThrow()));
                  yield batch.values();
                }
              };
              answered.forEach(release -> releases.add((Long) release));
              answers.incrementAndGet();
            } catch (RuntimeException e) {
              failures.add(e);
            }
          }
        }));
      }
    }

    void awaitAnswers(long count) {
      await().atMost(WAIT).until(() -> answers.get() >= count || !failures.isEmpty());
    }

    void stop() throws InterruptedException {
      stopped.set(true);
      for (Thread thread : threads) {
        thread.join(WAIT.toMillis());
      }
    }

    @Override
    public void close() {
      try {
        stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
