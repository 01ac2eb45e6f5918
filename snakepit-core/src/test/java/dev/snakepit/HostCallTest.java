package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Calls from Python to Java against real workers: registered functions only, values both ways, Java
 * exceptions as Python exceptions, the deadline and the cancel that reach a blocked function, and calls
 * nested back into the one worker of a pool that waits for them.
 */
@PoolTest
class HostCallTest {
  private static final String ADAPTER = "pooltests.hosts:HostAdapter";
  private static final AtomicReference<CountDownLatch> BLOCKED = new AtomicReference<>(new CountDownLatch(1));
  private static final CompletableFuture<String> INTERRUPTED = new CompletableFuture<>();
  private static Snakepit python;

  @BeforeAll
  static void start() {
    python = TestPools.start(TestPools.builder(ADAPTER, "hosts").size(1)
        .hostFunction("echo", call -> List.of(call.args(), call.kwargs(), call.tool(), call.workerId(), call.depth()))
        .hostFunction("fail", call -> {
          throw new IllegalStateException("no such user: " + call.args().get(0));
        })
        .hostFunction("time_left", call -> call.timeLeft().toMillis())
        .hostFunction("opaque", call -> new Object())
        .hostFunction("block", call -> {
          BLOCKED.get().countDown();
          try {
            Thread.sleep(Duration.ofMinutes(1));
            return "slept";
          } catch (InterruptedException e) {
            INTERRUPTED.complete(call.function() + " interrupted");
            throw e;
          }
        })
        .hostFunction("down", call -> python.execute("recurse", Map.of("n", call.args().get(0))))
        .hostFunction("add_in_python", call -> python.execute("add", Map.of("a", call.args().get(0), "b", 1)))
        .hostFunction("stream_in_python", call -> python.stream(Call.of("count").withArg("n", 2)))
        .hostFunction("from_another_thread", call -> CompletableFuture.supplyAsync(() -> python.execute("add", Map.of("a", 1, "b", 1)),
            task -> Thread.ofVirtual().start(task)).join())
        .acquireTimeout(Duration.ofSeconds(1))
        .maxHostCallDepth(10));
  }

  @AfterAll
  static void stop() {
    python.close();
  }

  @Test
  void aToolCallsARegisteredJavaFunctionWithValuesBothWays() {
    Object echoed = python.execute(Call.of("ask").withArgs("echo", 1, "two", new byte[] {3}, null, List.of(4.5))
        .withArg("flag", true));
    assertThat(echoed).isInstanceOfSatisfying(List.class, list -> {
      assertThat(list.get(0)).asList().hasSize(5).startsWith(1L, "two").contains((Object) null).endsWith(List.of(4.5));
      assertThat(list.get(1)).isEqualTo(Map.of("flag", true));
      assertThat(list.subList(2, 5)).containsExactly("ask", "w1", 1L);
    });
    assertThat(python.execute(Call.of("ask_async").withArgs("echo", 7))).asList().first().isEqualTo(List.of(7L));
  }

  @Test
  void aJavaExceptionReachesPythonAsHostErrorWithItsTypeAndMessage() {
    assertThat(python.execute(Call.of("ask_catching").withArgs("fail", 42))).isEqualTo(Map.of(
        "kind", "JAVA_EXCEPTION", "type", "java.lang.IllegalStateException", "message", "no such user: 42"));
    Map<?, ?> unknown = (Map<?, ?>) python.execute(Call.of("ask_catching").withArgs("nope"));
    assertThat(unknown.get("kind")).isEqualTo("UNKNOWN_FUNCTION");
    assertThat((String) unknown.get("message")).contains("no host function 'nope' is registered in pool 'hosts'")
        .contains("echo, fail");
    Map<?, ?> opaque = (Map<?, ?>) python.execute(Call.of("ask_catching").withArgs("opaque"));
    assertThat(opaque.get("kind")).isEqualTo("SERIALIZATION_ERROR");
    assertThat((String) opaque.get("message")).contains("the result of host function 'opaque' cannot cross to Python");

    SnakepitException uncaught = catchThrowableOfType(SnakepitException.class,
        () -> python.execute(Call.of("ask").withArgs("fail", 1)));
    assertThat(uncaught.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(uncaught.getMessage()).contains("HostError: java.lang.IllegalStateException: no such user: 1");
  }

  @Test
  void aHostFunctionInheritsTheCallsDeadline() {
    long left = (Long) python.execute(Call.of("ask").withArgs("time_left").withTimeout(Duration.ofSeconds(7)));
    assertThat(left).isPositive().isLessThanOrEqualTo(7000);
  }

  @Test
  void aCancelledOrTimedOutCallInterruptsItsBlockedHostFunction() throws Exception {
    BLOCKED.set(new CountDownLatch(1));
    SnakepitException timedOut = catchThrowableOfType(SnakepitException.class,
        () -> python.execute(Call.of("ask").withArgs("block").withTimeout(Duration.ofMillis(500))));
    assertThat(timedOut.kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(INTERRUPTED.get(20, TimeUnit.SECONDS)).isEqualTo("block interrupted");

    BLOCKED.set(new CountDownLatch(1));
    CompletableFuture<Object> call = python.executeAsync(Call.of("ask_catching").withArgs("block"));
    assertThat(BLOCKED.get().await(20, TimeUnit.SECONDS)).isTrue();
    call.cancel(true);
    assertThat(python.execute("add", Map.of("a", 1, "b", 2))).as("the worker serves on").isEqualTo(3L);
  }

  @Test
  void callsFromAHostFunctionNestOnTheWaitingWorkerEightDeepOnAPoolOfOne() {
    List<Object> pids = List.copyOf((List<?>) python.execute("recurse", Map.of("n", 8)));
    assertThat(pids).hasSize(9).containsOnly((Object) python.workerPids().getFirst());
    assertThat(python.execute(Call.of("ask").withArgs("add_in_python", 41))).isEqualTo(42L);
  }

  @Test
  void nestingBeyondTheDepthLimitFailsAtOnceAndSaysWhy() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> python.execute("recurse", Map.of("n", 12)));
    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.getMessage()).contains("beyond maxHostCallDepth 10 of pool 'hosts'");
    assertThat(python.execute("add", Map.of("a", 2, "b", 2))).isEqualTo(4L);
  }

  @Test
  void aStreamFromHostFunctionCodeIsRefusedWithAClearError() {
    Map<?, ?> refused = (Map<?, ?>) python.execute(Call.of("ask_catching").withArgs("stream_in_python"));
    assertThat(refused.get("type")).isEqualTo(SnakepitException.class.getName());
    assertThat((String) refused.get("message")).contains("cannot be streamed from host function code");
  }

  @Test
  void aHostFunctionCallingThePoolFromAnotherThreadGetsAnErrorThatSaysWhy() {
    Map<?, ?> refused = (Map<?, ?>) python.execute(Call.of("ask_catching").withArgs("from_another_thread"));
    assertThat((String) refused.get("message")).contains("no worker of pool 'hosts' became free")
        .contains("a function that calls the pool from a thread other than its own waits for itself");
  }

  @Test
  void badRegistrationsFailAtOnceAndNameTheRule() {
    PoolConfig.Builder builder = TestPools.builder(ADAPTER, "bad-hosts");
    assertThatThrownBy(() -> builder.hostFunction("1st", call -> null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PoolConfig.hostFunction name = '1st' is invalid: it must be 1 to 64 letters, digits, '_', '.' or '-',"
            + " starting with a letter");
    assertThatThrownBy(() -> builder.hostFunction("f", null)).hasMessageContaining("the function registered as 'f' must not be null");
    builder.hostFunction("f", call -> null);
    assertThatThrownBy(() -> builder.hostFunction("f", call -> null)).hasMessageContaining("it is registered already");
    assertThatThrownBy(() -> builder.maxHostCallDepth(0)).hasMessage("PoolConfig.maxHostCallDepth = 0 is invalid: it must be between 1 and 64");
    assertThat(builder.build().hostFunctions()).containsOnlyKeys("f");
  }
}
