package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import dev.snakepit.spi.WorkerEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Snakepit#executeDetailed}: each result names the worker and the process that ran it, and
 * splits the call's time into waiting for that worker and running on it. Bounds on those times are
 * drawn from the order of events (a call cannot reach a worker before the worker is free), never from
 * how fast the machine is.
 */
@PoolTest
class CallResultTest {
  @TempDir
  Path temp;

  @Test
  void eachResultNamesTheWorkerAndTheProcessThatRanIt() {
    RecordingListener events = new RecordingListener();
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("detailed-who").size(2).listener(events))) {
      Set<String> workers = new HashSet<>();
      for (int i = 0; i < 6; i++) {
        CallResult r = pool.executeDetailed(Call.of("whoami"));

        assertThat(r.value()).as("what the worker says about itself").isEqualTo(List.of(r.workerId(), r.workerPid()));
        assertThat(pool.workerPids()).contains(r.workerPid());
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.queued()).isGreaterThanOrEqualTo(Duration.ZERO);
        assertThat(r.ran()).isPositive();
        workers.add(r.workerId());
      }
      // Two callers at once: both workers serve, and each result still names its own.
      CompletableFuture<CallResult> a = pool.executeDetailedAsync(Call.of("sleep").withArg("seconds", 0.3));
      CompletableFuture<CallResult> b = pool.executeDetailedAsync(Call.of("whoami"));
      CallResult slow = a.join();
      CallResult other = b.join();
      assertThat(other.value()).isEqualTo(List.of(other.workerId(), other.workerPid()));
      assertThat(slow.workerId()).isNotEqualTo(other.workerId());
      assertThat(slow.workerPid()).isNotEqualTo(other.workerPid());

      // The listener's checkout of the same call ends at the moment its queued time does.
      RecordingListener.Recorded checkout = events.ofType("checkoutStop").stream()
          .filter(e -> e.call().tool().equals("whoami")).toList().getLast();
      assertThat(checkout.call().workerId()).isEqualTo(other.workerId());
      assertThat(checkout.call().elapsed()).isEqualTo(other.queued());
    }
  }

  @Test
  void ranCoversTheToolsRunAndBothTimesFitInTheCallersWait() {
    try (Snakepit pool = TestPools.start(TestPools.demo("detailed-ran"))) {
      long before = System.nanoTime();
      CallResult r = pool.executeDetailed(Call.of("sleep").withArg("seconds", 0.25));
      Duration waited = Duration.ofNanos(System.nanoTime() - before);

      assertThat(r.value()).isEqualTo(0.25);
      assertThat(r.ran()).as("the worker slept between receiving the call and replying").isGreaterThanOrEqualTo(Duration.ofMillis(250));
      assertThat(r.queued().plus(r.ran())).isLessThanOrEqualTo(waited);
    }
  }

  @Test
  void aCallWaitingForTheOnlyWorkerReportsTheWaitAsQueued() throws Exception {
    try (Snakepit pool = TestPools.start(TestPools.demo("detailed-queued").size(1))) {
      CallResult idle = pool.executeDetailed(Call.of("pid"));
      CompletableFuture<Object> occupying = pool.executeAsync(Call.of("sleep").withArg("seconds", 30).withTimeout(Duration.ofSeconds(20)));
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1);

      CompletableFuture<CallResult> waiting = pool.executeDetailedAsync(Call.of("pid"));
      long accepted = System.nanoTime(); // the call was accepted before executeDetailedAsync returned
      await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().queued() == 1);
      long freed = System.nanoTime(); // the worker can take the waiting call only after the cancel below
      occupying.cancel(true);
      CallResult queued = waiting.get(10, TimeUnit.SECONDS);

      assertThat(queued.value()).isEqualTo(idle.value()).isEqualTo(queued.workerPid());
      assertThat(queued.workerId()).isEqualTo(idle.workerId());
      assertThat(queued.queued()).isGreaterThanOrEqualTo(Duration.ofNanos(freed - accepted));
      assertThat(queued.queued()).as("waiting for a busy worker against finding it free").isGreaterThan(idle.queued());
    }
  }

  @Test
  void aRetriedCallReportsTheWorkerOfTheAttemptThatAnsweredAndHowManyThereWere() throws Exception {
    RecordingListener events = new RecordingListener();
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("detailed-retry").size(2).listener(events))) {
      Path marker = temp.resolve("crashed-once");
      Call call = Call.of("crash_once").withArg("marker", marker.toString()).withRetries(1);

      CallResult r = pool.executeDetailed(call);

      assertThat(Files.exists(marker)).as("the first attempt ran and ended its worker").isTrue();
      assertThat(r.attempts()).isEqualTo(2);
      assertThat(r.value()).isEqualTo(List.of(r.workerId(), r.workerPid()));
      // The pool fails the first attempt before it reports the worker's crash to listeners.
      await().atMost(Duration.ofSeconds(10)).until(() -> events.ofType("workerCrash").size() == 1);
      WorkerEvent crashed = events.ofType("workerCrash").getFirst().worker();
      assertThat(r.workerPid()).as("not the worker that died").isNotEqualTo(crashed.pid());
      assertThat(r.workerId()).isNotEqualTo(crashed.workerId());

      Files.delete(marker);
      CallResult async = pool.executeDetailedAsync(call).get(20, TimeUnit.SECONDS);
      assertThat(async.attempts()).isEqualTo(2);
      assertThat(async.value()).isEqualTo(List.of(async.workerId(), async.workerPid()));
      assertThat(pool.stats().callsRetried()).isEqualTo(2);
    }
  }

  @Test
  void aFailedCallFailsAsItDoesWithExecute() {
    try (Snakepit pool = TestPools.start(TestPools.demo("detailed-fail"))) {
      SnakepitException sync = catchThrowableOfType(SnakepitException.class,
          () -> pool.executeDetailed(Call.of("fail").withArg("message", "bad input")));
      ExecutionException async = catchThrowableOfType(ExecutionException.class,
          () -> pool.executeDetailedAsync(Call.of("echo", Map.of("valu", 1))).get(10, TimeUnit.SECONDS));

      assertThat(sync.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
      assertThat(sync.getMessage()).contains("ValueError: bad input");
      assertThat(async.getCause()).isInstanceOf(SnakepitException.class);
      assertThat(((SnakepitException) async.getCause()).kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
      assertThat(pool.executeDetailed(Call.of("add").withArg("a", 1)).value()).isEqualTo(3L);
    }
  }
}
