package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.Outcomes;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Signals sent to a worker from outside the pool (an operator's {@code kill}, a service manager that
 * signals every process of its group) neither end it by surprise nor corrupt a call: SIGINT raises
 * KeyboardInterrupt in the running tool and is ignored between calls; SIGTERM makes the pool replace
 * the worker, which finishes its call first.
 */
@PoolTest
@EnabledOnOs(OS.LINUX)
class SignalsTest {
  @Test
  void sigintBetweenCallsLeavesTheWorkerServing() {
    try (Snakepit pool = TestPools.start(TestPools.demo("sigint-idle").size(1))) {
      long worker = pool.workerPids().getFirst();

      Processes.signal(worker, "INT");

      // The warning is logged by the worker's signal thread; a call after it shows the worker serves on.
      assertThat(pool.execute("add", Map.of("a", 1, "b", 2))).isEqualTo(3L);
      assertThat(pool.execute("pid", Map.of())).isEqualTo(worker);
      assertThat(pool.stats().workersCrashed()).isZero();
    }
  }

  @Test
  void sigintDuringACallRaisesKeyboardInterruptInTheTool() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.demo("sigint-busy").size(1))) {
      long worker = pool.workerPids().getFirst();
      CompletableFuture<Object> call = pool.executeAsync(Call.of("sleep").withArg("seconds", 30.0));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);
      await().atMost(Duration.ofSeconds(10)).until(() -> Processes.state(worker) == 'S');

      Processes.signal(worker, "INT");

      SnakepitException error = Outcomes.failureOf(call, Duration.ofSeconds(30));
      assertThat(error.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
      assertThat(error.pythonError().orElseThrow().type()).isEqualTo("KeyboardInterrupt");
      assertThat(pool.execute("pid", Map.of())).isEqualTo(worker);
      assertThat(pool.stats().workersCrashed()).isZero();
    }
  }

  @Test
  void sigtermMakesThePoolReplaceTheWorkerAfterItsCall() throws Exception {
    RecordingListener events = new RecordingListener();
    try (Snakepit pool = TestPools.start(TestPools.demo("sigterm").size(1).listener(events))) {
      long worker = pool.workerPids().getFirst();
      CompletableFuture<Object> call = pool.executeAsync(Call.of("sleep").withArg("seconds", 1.0));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

      Processes.signal(worker, "TERM");

      assertThat(call.get(20, TimeUnit.SECONDS)).isEqualTo(1.0);
      await().atMost(Duration.ofSeconds(20)).until(() -> !pool.workerPids().contains(worker)
          && pool.stats().idle() == 1 && !Processes.isRunning(worker));
      assertThat(pool.stats().recycles().get(RecycleReason.REQUESTED)).isEqualTo(1L);
      assertThat(pool.stats().workersCrashed()).isZero();
      assertThat(events.ofType("workerStop")).anySatisfy(stop -> {
        assertThat(stop.worker().pid()).isEqualTo(worker);
        assertThat(stop.worker().reason()).contains("recycled (requested)");
      });
      assertThat(pool.execute("add", Map.of("a", 2))).isEqualTo(4L);
    }
  }
}
