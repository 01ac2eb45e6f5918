package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Misuse from Java fails at the call, in the caller's thread, with an exception naming the argument:
 * NullPointerException for a null, IllegalArgumentException with the value and the rule for a bad
 * value. Never a SnakepitException, which is for what the pool or Python cannot serve, and never
 * an exception from inside the pool.
 */
@PoolTest
class MisuseTest {
  private static final RecordingListener events = new RecordingListener();
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.demo("misuse").listener(events));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  private static Map<String, Object> withNullKey() {
    Map<String, Object> kwargs = new HashMap<>();
    kwargs.put(null, 1);
    return kwargs;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Map<String, Object> withIntegerKey() {
    Map raw = new HashMap();
    raw.put(1, "one");
    return raw;
  }

  private static final String TIMEOUT_RULE = " is invalid: it must be positive and at most PT24H (call of tool 'add')";

  /** What is checked without a pool: calls as they are built, and the static entry points. */
  static Stream<Arguments> withoutAPool() {
    return Stream.of(
        refused("Call.of without a tool", NullPointerException.class, "Call.of: tool must not be null",
            () -> Call.of(null)),
        refused("an empty tool name", IllegalArgumentException.class,
            "Call.tool = '' is invalid: it must be a tool's name, not empty or blank", () -> Call.of("")),
        refused("a blank tool name", IllegalArgumentException.class,
            "Call.tool = '  ' is invalid: it must be a tool's name, not empty or blank", () -> Call.of("  ", Map.of())),
        refused("Call.of with null kwargs", NullPointerException.class,
            "Call.of: kwargs must not be null; use Call.of(tool) for none", () -> Call.of("add", null)),
        refused("a null keyword name", IllegalArgumentException.class,
            "Call.kwargs key = null is invalid: every keyword name must be a String (call of tool 'add')",
            () -> Call.of("add", withNullKey())),
        refused("a keyword name that is not a String", IllegalArgumentException.class,
            "Call.kwargs key = 1 (java.lang.Integer) is invalid: every keyword name must be a String (call of tool 'add')",
            () -> Call.of("add", withIntegerKey())),
        refused("withArg without a name", NullPointerException.class, "Call.withArg: name must not be null",
            () -> Call.of("add").withArg(null, 1)),
        refused("withKwargs(null)", NullPointerException.class, "Call.withKwargs: kwargs must not be null",
            () -> Call.of("add").withKwargs(null)),
        refused("withKwargs with a null keyword name", IllegalArgumentException.class,
            "Call.kwargs key = null is invalid: every keyword name must be a String (call of tool 'add')",
            () -> Call.of("add").withKwargs(withNullKey())),
        refused("withArgs of a null array", NullPointerException.class,
            "Call.withArgs: the array of arguments must not be null; write withArgs((Object) null) for one null argument",
            () -> Call.of("add").withArgs((Object[]) null)),
        refused("withTimeout(null)", NullPointerException.class, "Call.withTimeout: timeout must not be null",
            () -> Call.of("add").withTimeout(null)),
        refused("a zero timeout", IllegalArgumentException.class, "Call.timeout = PT0S" + TIMEOUT_RULE,
            () -> Call.of("add").withTimeout(Duration.ZERO)),
        refused("a negative timeout", IllegalArgumentException.class, "Call.timeout = PT-1S" + TIMEOUT_RULE,
            () -> Call.of("add").withTimeout(Duration.ofSeconds(-1))),
        refused("a timeout above one day", IllegalArgumentException.class, "Call.timeout = PT48H" + TIMEOUT_RULE,
            () -> Call.of("add").withTimeout(Duration.ofDays(2))),
        refused("a timeout that would overflow the pool's arithmetic", IllegalArgumentException.class,
            "Call.timeout = " + Duration.ofSeconds(Long.MAX_VALUE) + TIMEOUT_RULE,
            () -> Call.of("add").withTimeout(Duration.ofSeconds(Long.MAX_VALUE))),
        refused("negative retries", IllegalArgumentException.class,
            "Call.retries = -1 is invalid: it must be 0 to 10 (call of tool 'add')", () -> Call.of("add").withRetries(-1)),
        refused("a Call without args", NullPointerException.class, "Call: args must not be null; use List.of() for none",
            () -> new Call("add", null, Map.of(), null)),
        refused("a Call without kwargs", NullPointerException.class, "Call: kwargs must not be null; use Map.of() for none",
            () -> new Call("add", List.of(), null, null)),
        refused("a Call without a tool", NullPointerException.class, "Call: tool must not be null",
            () -> new Call(null, List.of(), Map.of(), null)),
        refused("Snakepit.start(null)", NullPointerException.class, "Snakepit.start: config must not be null",
            () -> Snakepit.start(null)),
        refused("PoolSizing without a workload", NullPointerException.class,
            "PoolSizing.recommend: workload must not be null; it is one of [CPU_BOUND, IO_BOUND, MIXED]",
            () -> PoolSizing.recommend(null)),
        refused("PoolSizing for no processors", IllegalArgumentException.class,
            "PoolSizing.recommend: processors = 0 is invalid: it must be at least 1",
            () -> PoolSizing.recommend(PoolSizing.Workload.MIXED, 0)),
        refused("PoolConfig.builder(null), a bad value like any other for the builder", IllegalArgumentException.class,
            "PoolConfig.adapter = null is invalid: it must name a class as package.module:Class", () -> PoolConfig.builder(null)),
        refused("a SnakepitException without a kind", NullPointerException.class, "SnakepitException: kind must not be null",
            () -> new SnakepitException(null, "m")),
        refused("a ToolInfo without parameters", NullPointerException.class,
            "ToolInfo: parameters must not be null; use List.of() for none", () -> new ToolInfo("t", null, null)),
        refused("a CallResult with a negative time", IllegalArgumentException.class,
            "CallResult.queued = PT-0.001S, ran = PT1S is invalid: neither may be negative",
            () -> new CallResult(1L, "w1", 42, Duration.ofMillis(-1), Duration.ofSeconds(1), 1)),
        refused("a CallResult of no attempt", IllegalArgumentException.class,
            "CallResult.attempts = 0 is invalid: it must be at least 1",
            () -> new CallResult(1L, "w1", 42, Duration.ZERO, Duration.ZERO, 0)),
        refused("a CallResult without a worker", NullPointerException.class, "CallResult: workerId must not be null",
            () -> new CallResult(1L, null, 42, Duration.ZERO, Duration.ZERO, 1)));
  }

  /** What needs a pool to be called on; each is refused before the pool is involved. */
  static Stream<Arguments> onARunningPool() {
    return Stream.of(
        refusedBy("execute(null call)", NullPointerException.class, "Snakepit.execute: call must not be null",
            p -> p.execute((Call) null)),
        refusedBy("execute without a tool", NullPointerException.class, "Snakepit.execute: tool must not be null",
            p -> p.execute(null, Map.of())),
        refusedBy("execute with null kwargs", NullPointerException.class,
            "Snakepit.execute: kwargs must not be null; use Map.of() for none", p -> p.execute("add", null)),
        refusedBy("execute of a blank tool name", IllegalArgumentException.class,
            "Call.tool = ' ' is invalid: it must be a tool's name, not empty or blank", p -> p.execute(" ", Map.of())),
        refusedBy("execute with a null keyword name", IllegalArgumentException.class,
            "Call.kwargs key = null is invalid: every keyword name must be a String (call of tool 'add')",
            p -> p.execute("add", withNullKey())),
        refusedBy("executeAsync(null call), thrown rather than put in a future", NullPointerException.class,
            "Snakepit.executeAsync: call must not be null", p -> p.executeAsync((Call) null)),
        refusedBy("executeAsync without a tool", NullPointerException.class, "Snakepit.executeAsync: tool must not be null",
            p -> p.executeAsync(null, Map.of())),
        refusedBy("executeAsync with null kwargs", NullPointerException.class,
            "Snakepit.executeAsync: kwargs must not be null; use Map.of() for none", p -> p.executeAsync("add", null)),
        refusedBy("executeDetailed(null call)", NullPointerException.class, "Snakepit.executeDetailed: call must not be null",
            p -> p.executeDetailed(null)),
        refusedBy("executeDetailedAsync(null call)", NullPointerException.class,
            "Snakepit.executeDetailedAsync: call must not be null", p -> p.executeDetailedAsync(null)),
        refusedBy("tool(null)", NullPointerException.class, "Snakepit.tool: name must not be null", p -> p.tool(null)),
        refusedBy("resize(0)", IllegalArgumentException.class,
            "Snakepit.resize: size = 0 is invalid: it must be between 1 and 1024", p -> p.resize(0)));
  }

  private static Arguments refused(String what, Class<? extends RuntimeException> type, String message, Runnable misuse) {
    return Arguments.of(what, type, message, misuse);
  }

  private static Arguments refusedBy(String what, Class<? extends RuntimeException> type, String message,
      Consumer<Snakepit> misuse) {
    return Arguments.of(what, type, message, misuse);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("withoutAPool")
  void misuseIsRefusedAtTheCallNamingTheArgument(String what, Class<? extends RuntimeException> type, String message,
      Runnable misuse) {
    Throwable thrown = catchThrowable(misuse::run);

    assertThat(thrown).as(what).isExactlyInstanceOf(type).hasMessage(message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("onARunningPool")
  void aRunningPoolRefusesMisuseBeforeUsingAWorkerAndServesOn(String what, Class<? extends RuntimeException> type,
      String message, Consumer<Snakepit> misuse) {
    PoolStats before = pool.stats();
    int checkouts = events.ofType("checkoutStart").size();

    Throwable thrown = catchThrowable(() -> misuse.accept(pool));

    assertThat(thrown).as(what).isExactlyInstanceOf(type).hasMessage(message);
    assertThat(thrown.getStackTrace()[0].getClassName()).as("thrown at the API, not inside the pool")
        .doesNotStartWith("dev.snakepit.internal");
    PoolStats after = pool.stats();
    assertThat(after.callsFailed()).as("a refused call is no failed call").isEqualTo(before.callsFailed());
    assertThat(after.targetSize()).isEqualTo(before.targetSize());
    assertThat(events.ofType("checkoutStart")).as("nothing went to the pool").hasSize(checkouts);
    assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
  }

  @Test
  void aPoolKeepsServingOnTheSameWorkerAfterRefusedCalls() {
    List<Long> pids = pool.workerPids();
    long succeeded = pool.stats().callsSucceeded();

    for (int i = 0; i < 3; i++) {
      catchThrowable(() -> pool.execute((Call) null));
      catchThrowable(() -> pool.execute("add", withNullKey()));
    }

    assertThat(pool.execute(Call.of("add").withArgs(40, 2))).isEqualTo(42L);
    assertThat(pool.execute("pid", Map.of())).isEqualTo(pids.getFirst());
    assertThat(pool.workerPids()).isEqualTo(pids);
    assertThat(pool.stats().callsSucceeded()).isEqualTo(succeeded + 2);
    assertThat(pool.health().healthy()).isTrue();
  }
}
