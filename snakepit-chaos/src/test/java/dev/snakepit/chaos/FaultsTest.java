package dev.snakepit.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.Call;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolStats;
import dev.snakepit.RecycleReason;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Each fault injector does what it says to a real pool, and the pool answers as documented. */
@PoolTest
class FaultsTest {
  private final SplittableRandom random = new SplittableRandom(42);

  @Test
  void aKilledWorkerIsReplaced() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("faults-kill").size(2))) {
      OptionalLong victim = Faults.killRandomWorker(pool, random);

      assertThat(victim).isPresent();
      await().atMost(Duration.ofSeconds(20)).until(() -> !pool.workerPids().contains(victim.getAsLong())
          && pool.stats().idle() == 2);
      assertThat(pool.stats().workersCrashed()).isEqualTo(1);
      assertThat(Processes.isRunning(victim.getAsLong())).isFalse();
    }
  }

  @Test
  void aFrozenWorkerMissesItsHeartbeatsAndIsReplaced() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("faults-freeze")
        .heartbeatInterval(Duration.ofMillis(200)).heartbeatTimeout(Duration.ofSeconds(1)))) {
      long victim = Faults.freezeRandomWorker(pool, random).orElseThrow();
      try {
        // kill(1) returns once the signal is sent; a running process stops a moment later.
        await().atMost(Duration.ofSeconds(5)).until(() -> Processes.state(victim) == 'T');
        await().atMost(Duration.ofSeconds(20)).until(() -> !pool.workerPids().contains(victim) && pool.stats().idle() == 1);
        assertThat(pool.execute("ping", Map.of())).isNull();
      } finally {
        Faults.thaw(victim);
      }
    }
  }

  @Test
  void aWorkerFrozenBrieflyServesOnAfterTheThaw() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("faults-thaw").heartbeatTimeout(Duration.ofSeconds(10)))) {
      long victim = pool.workerPids().get(0);
      Faults.freeze(victim);
      CompletableFuture<Object> call = pool.executeAsync(Call.of("echo").withArg("value", "waited"));
      await().atMost(Duration.ofSeconds(10)).until(() -> Processes.state(victim) == 'T');
      assertThat(call).isNotDone();

      Faults.thaw(victim);

      assertThat(call.join()).isEqualTo("waited");
      assertThat(pool.workerPids()).containsExactly(victim);
    }
  }

  @Test
  void aRequestedRecycleReplacesTheWorkerWithoutFailingItsCall() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("faults-recycle"))) {
      long old = pool.workerPids().get(0);
      CompletableFuture<Object> running = pool.executeAsync(Call.of("sleep").withArg("seconds", 0.5));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

      assertThat(Faults.recycleRandomWorker(pool, random)).hasValue(old);

      assertThat(running.join()).isEqualTo(0.5);
      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().recycles().get(RecycleReason.REQUESTED) == 1
          && !pool.workerPids().contains(old) && pool.stats().idle() == 1);
      assertThat(pool.stats().callsFailed()).isZero();
      assertThat(pool.stats().workersCrashed()).isZero();
    }
  }

  @Test
  void aFailedSupervisorClosesThePoolAndNoProcessOfItSurvives() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("faults-supervisor").size(3))) {
      List<Long> before = new ArrayList<>(pool.workerPids());
      List<CompletableFuture<Object>> spawns = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        spawns.add(pool.executeAsync(Call.of("spawn_grandchildren").withArg("count", 1)));
      }
      List<Long> grandchildren = new ArrayList<>();
      spawns.forEach(f -> ((List<?>) f.join()).forEach(pid -> grandchildren.add((Long) pid)));

      Faults.failSupervisor(pool, new IllegalStateException("injected by FaultsTest"));

      await().atMost(Duration.ofSeconds(20)).until(() -> pool.stats().state() == PoolStats.State.CLOSED);
      await().atMost(Duration.ofSeconds(5)).until(() -> before.stream().noneMatch(Processes::isRunning)
          && grandchildren.stream().noneMatch(Processes::isRunning));
      SnakepitException refused = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ping", Map.of()));
      assertThat(refused.kind()).isEqualTo(ErrorKind.POOL_CLOSED);
      assertThat(refused.getMessage()).contains("injected by FaultsTest");
    }
  }

  @Test
  void anIdempotentCallIsSentAgainWhenItsWorkerIsKilledUnderIt() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("faults-retry").size(2))) {
      CompletableFuture<Object> call = pool.executeAsync(Call.of("sleep").withArg("seconds", 1.0).withRetries(2));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
      // Every worker dies, the one running the call among them; the call waits for a replacement.
      pool.workerPids().forEach(Faults::kill);

      assertThat(call.join()).isEqualTo(1.0);
      assertThat(pool.stats().callsRetried()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void withoutRetriesTheCallFailsWithTheWorkersDeath() {
    try (Snakepit pool = ChaosPools.start(ChaosPools.builder("faults-no-retry"))) {
      CompletableFuture<Object> call = pool.executeAsync(Call.of("sleep").withArg("seconds", 30.0));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

      Faults.killRandomWorker(pool, random);

      SnakepitException error = ChaosPools.failure(call);
      assertThat(error.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(error.workerExit().map(WorkerExit::cause)).hasValue(WorkerExit.Cause.SIGNALED);
      assertThat(pool.stats().callsRetried()).isZero();
    }
  }
}
