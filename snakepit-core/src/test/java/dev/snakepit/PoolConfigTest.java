package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.spi.DataPlaneInterceptor;
import dev.snakepit.spi.PoolListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The configuration: validated at each setter, documented defaults, immutable once built. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PoolConfigTest {
  private static final String ADAPTER = "snakepit.examples.demo:DemoAdapter";

  /** A setter, a bad value for it, and what its message must name: the field, the value as shown, the rule. */
  static Stream<Arguments> rejectedValues() {
    return Stream.of(
        rejected("name", "", "''", "1 to 64 letters", b -> b.name("")),
        rejected("name", "has space", "'has space'", "1 to 64 letters", b -> b.name("has space")),
        rejected("name", "65 characters", "'" + "n".repeat(65) + "'", "1 to 64 letters", b -> b.name("n".repeat(65))),
        rejected("name", "null", "null", "1 to 64 letters", b -> b.name(null)),
        rejected("size", "0", "0", "between 1 and 1024", b -> b.size(0)),
        rejected("size", "1025", "1025", "between 1 and 1024", b -> b.size(1025)),
        rejected("pythonExecutable", "blank", "'  '", "a path or a command name", b -> b.pythonExecutable("  ")),
        rejected("pythonExecutable", "null", "null", "a path or a command name", b -> b.pythonExecutable(null)),
        rejected("workingDirectory", "missing", "no-such-directory-for-snakepit-tests",
            "an existing directory", b -> b.workingDirectory(Path.of("no-such-directory-for-snakepit-tests"))),
        rejected("pythonPath", "null", "null", "must not be null", b -> b.addPythonPath(null)),
        rejected("environment", "empty name", "''", "non-empty without '=' or NUL", b -> b.environment("", "x")),
        rejected("environment", "name with =", "'A=B'", "non-empty without '=' or NUL", b -> b.environment("A=B", "x")),
        rejected("environment", "reserved name", "'SNAKEPIT_TOKEN'", "reserved for the runtime", b -> b.environment("SNAKEPIT_TOKEN", "x")),
        rejected("environment.MY_VAR", "null value", "null", "non-null without NUL", b -> b.environment("MY_VAR", null)),
        rejected("callTimeout", "zero", "PT0S", "positive and at most PT24H", b -> b.callTimeout(Duration.ZERO)),
        rejected("callTimeout", "negative", "PT-1S", "positive and at most PT24H", b -> b.callTimeout(Duration.ofSeconds(-1))),
        rejected("callTimeout", "two days", "PT48H", "positive and at most PT24H", b -> b.callTimeout(Duration.ofDays(2))),
        rejected("callTimeout", "null", "null", "positive and at most PT24H", b -> b.callTimeout(null)),
        rejected("acquireTimeout", "negative", "PT-0.001S", "between 0 and PT24H", b -> b.acquireTimeout(Duration.ofMillis(-1))),
        rejected("acquireTimeout", "two days", "PT48H", "between 0 and PT24H", b -> b.acquireTimeout(Duration.ofDays(2))),
        rejected("maxQueue", "negative", "-1", "between 0 and 1000000", b -> b.maxQueue(-1)),
        rejected("maxQueue", "above a million", "1000001", "between 0 and 1000000", b -> b.maxQueue(1_000_001)),
        rejected("startTimeout", "zero", "PT0S", "positive and at most PT24H", b -> b.startTimeout(Duration.ZERO)),
        rejected("shutdownGrace", "negative", "PT-1S", "between 0 and PT24H", b -> b.shutdownGrace(Duration.ofSeconds(-1))),
        rejected("cancelGrace", "zero", "PT0S", "positive and at most PT24H", b -> b.cancelGrace(Duration.ZERO)),
        rejected("maxFrameBytes", "below 64 KiB", "65535", "between 65536 and 2147483647", b -> b.maxFrameBytes(65535)),
        rejected("pythonLogLevel", "unknown level", "'LOUD'", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL", b -> b.pythonLogLevel("LOUD")),
        rejected("pythonLogLevel", "lower case", "'info'", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL", b -> b.pythonLogLevel("info")),
        rejected("listener", "null", "null", "must not be null", b -> b.listener(null)),
        rejected("heartbeatInterval", "below 10 ms", "PT0.009S", "between PT0.01S and PT24H", b -> b.heartbeatInterval(Duration.ofMillis(9))),
        rejected("heartbeatInterval", "null", "null", "between PT0.01S and PT24H", b -> b.heartbeatInterval(null)),
        rejected("heartbeatTimeout", "zero", "PT0S", "positive and at most PT24H", b -> b.heartbeatTimeout(Duration.ZERO)),
        rejected("crashLoop.crashes", "zero", "0", "between 1 and 10000", b -> b.crashLoop(0, Duration.ofSeconds(1))),
        rejected("crashLoop.crashes", "too many", "10001", "between 1 and 10000", b -> b.crashLoop(10_001, Duration.ofSeconds(1))),
        rejected("crashLoop.window", "zero", "PT0S", "positive and at most PT24H", b -> b.crashLoop(3, Duration.ZERO)),
        rejected("recycleAfterCalls", "negative", "-1", "between 0 (never) and 1000000000000", b -> b.recycleAfterCalls(-1)),
        rejected("recycleAfterAge", "negative", "PT-1S", "between 0 (never) and PT24H", b -> b.recycleAfterAge(Duration.ofSeconds(-1))),
        rejected("recycleAboveMemory", "below 1 MiB", "1000", "0 (never) or at least 1048576 bytes", b -> b.recycleAboveMemory(1000)),
        rejected("recycleAboveErrorRate.rate", "above 1", "1.5", "between 0 (never) and 1", b -> b.recycleAboveErrorRate(1.5, 10)),
        rejected("recycleAboveErrorRate.rate", "NaN", "NaN", "between 0 (never) and 1", b -> b.recycleAboveErrorRate(Double.NaN, 10)),
        rejected("recycleAboveErrorRate.window", "zero", "0", "between 1 and 10000", b -> b.recycleAboveErrorRate(0.5, 0)),
        rejected("recycleJitter", "above a half", "0.6", "between 0 and 0.5", b -> b.recycleJitter(0.6)),
        rejected("workerMemoryLimit", "below 16 MiB", "1048576", "0 (none) or at least 16777216 bytes", b -> b.workerMemoryLimit(1024 * 1024)),
        rejected("workerCpuLimit", "negative", "-1.0", "0 (none) or between 0.01 and 1024 cores", b -> b.workerCpuLimit(-1)),
        rejected("workerCpuLimit", "too small", "0.001", "0 (none) or between 0.01 and 1024 cores", b -> b.workerCpuLimit(0.001)),
        rejected("sharedMemoryThreshold", "below 64 KiB", "65535", "between 65536 and 2147483647",
            b -> b.sharedMemoryThreshold(65535)),
        rejected("sharedMemoryThreshold", "negative", "-1", "between 65536 and 2147483647", b -> b.sharedMemoryThreshold(-1)),
        rejected("sharedMemoryDirectory", "missing", "no-such-directory-for-snakepit-tests", "an existing directory",
            b -> b.sharedMemoryDirectory(Path.of("no-such-directory-for-snakepit-tests"))),
        rejected("sharedMemoryDirectory", "null", "null", "an existing directory", b -> b.sharedMemoryDirectory(null)));
  }

  private static Arguments rejected(
      String field, String what, String shown, String rule, Consumer<PoolConfig.Builder> setter) {
    return Arguments.of(field, what, shown, rule, setter);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("rejectedValues")
  void eachSetterRejectsABadValueNamingFieldValueAndRule(
      String field, String what, String shown, String rule, Consumer<PoolConfig.Builder> setter) {
    PoolConfig.Builder builder = PoolConfig.builder(ADAPTER);

    IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class, () -> setter.accept(builder));

    assertThat(e).as("rejection of " + field + " (" + what + ")").isNotNull();
    assertThat(e.getMessage()).startsWith("PoolConfig." + field + " = " + shown + " is invalid: ").contains(rule);
  }

  @Test
  void preloadingIsOffByDefaultAndNeedsLinux() {
    assertThat(PoolConfig.builder(ADAPTER).build().preload()).isFalse();
    assertThat(PoolConfig.Builder.forksFromTemplates("Linux")).isTrue();
    assertThat(PoolConfig.Builder.forksFromTemplates("Mac OS X")).isFalse();
    assertThat(PoolConfig.Builder.forksFromTemplates("Windows 11")).isFalse();
    if (PoolConfig.Builder.forksFromTemplates(System.getProperty("os.name"))) {
      assertThat(PoolConfig.builder(ADAPTER).preload(true).build().preload()).isTrue();
    } else {
      assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).preload(true))
          .hasMessageStartingWith("PoolConfig.preload = true is invalid: forking workers from a template needs Linux");
    }
  }

  @Test
  void environmentMapsAreCheckedLikeSingleVariables() {
    PoolConfig config = PoolConfig.builder(ADAPTER).environment(Map.of("A", "1", "B", "2")).build();
    assertThat(config.environment()).containsEntry("A", "1").containsEntry("B", "2");
    assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).environment(Map.of("SNAKEPIT_X", "1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SNAKEPIT_X").hasMessageContaining("reserved");
    assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).environment((Map<String, String>) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be null");
  }

  @Test
  void theDataPlaneInterceptorDefaultsToNoneAndMustNotBeNull() {
    assertThat(PoolConfig.builder(ADAPTER).build().dataPlaneInterceptor()).isSameAs(DataPlaneInterceptor.NONE);
    assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).dataPlaneInterceptor(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataPlaneInterceptor");
  }

  @Test
  void callRetriesAreBoundedAndKeptByEveryCopy() {
    Call call = Call.of("echo").withRetries(3).withArg("value", 1).withTimeout(Duration.ofSeconds(1)).withArgs(2);
    assertThat(call.retries()).isEqualTo(3);
    assertThat(Call.of("echo").retries()).isZero();
    assertThat(Call.of("echo").withRetries(Call.MAX_RETRIES).retries()).isEqualTo(Call.MAX_RETRIES);
    for (int bad : new int[] {-1, Call.MAX_RETRIES + 1}) {
      assertThatThrownBy(() -> Call.of("echo").withRetries(bad)).as("%d", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Call.retries = " + bad + " is invalid: it must be 0 to " + Call.MAX_RETRIES + " (call of tool 'echo')");
    }
  }

  @Test
  void theAdapterMustBeNamedAsModuleColonClass() {
    for (String bad : new String[] {"demo", "snakepit.examples.demo", "a:b:c", "1mod:Class", ":Class", "mod:", ""}) {
      assertThatThrownBy(() -> PoolConfig.builder(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("PoolConfig.adapter = '" + bad + "' is invalid: it must name a class as package.module:Class");
    }
    assertThatThrownBy(() -> PoolConfig.builder(null)).hasMessageStartingWith("PoolConfig.adapter = null is invalid: ");
    assertThat(PoolConfig.builder("pkg.mod:Outer.Inner").build().adapter()).isEqualTo("pkg.mod:Outer.Inner");
  }

  @Test
  void rangesIncludeTheirBounds() {
    PoolConfig config = PoolConfig.builder(ADAPTER)
        .size(PoolConfig.MAX_SIZE)
        .maxQueue(0)
        .acquireTimeout(Duration.ZERO)
        .shutdownGrace(Duration.ZERO)
        .callTimeout(Duration.ofDays(1))
        .maxFrameBytes(PoolConfig.MIN_FRAME_BYTES)
        .name("n".repeat(64))
        .build();

    assertThat(config.size()).isEqualTo(1024);
    assertThat(config.maxQueue()).isZero();
    assertThat(config.acquireTimeout()).isZero();
    assertThat(config.shutdownGrace()).isZero();
    assertThat(config.callTimeout()).isEqualTo(Duration.ofDays(1));
    assertThat(config.maxFrameBytes()).isEqualTo(64 * 1024);
    assertThat(PoolConfig.builder(ADAPTER).size(1).maxFrameBytes(Integer.MAX_VALUE).build().maxFrameBytes())
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void sharedMemoryIsOffUnlessTurnedOnThenFromSixteenMebibytesInDevShm(@TempDir Path elsewhere) {
    PoolConfig config = PoolConfig.builder(ADAPTER).build();
    boolean devShm = Files.isDirectory(Path.of("/dev/shm"));

    assertThat(config.sharedMemory()).isFalse();
    assertThat(PoolConfig.builder(ADAPTER).sharedMemory(true).build().sharedMemory()).isEqualTo(devShm);
    assertThat(config.sharedMemoryDirectory()).isEqualTo(devShm ? Path.of("/dev/shm") : null);
    assertThat(config.sharedMemoryThreshold()).isEqualTo(16 * 1024 * 1024).isEqualTo(PoolConfig.DEFAULT_SHARED_MEMORY_THRESHOLD);

    PoolConfig moved = PoolConfig.builder(ADAPTER).sharedMemoryDirectory(elsewhere)
        .sharedMemoryThreshold(PoolConfig.MIN_SHARED_MEMORY_THRESHOLD).build();
    assertThat(moved.sharedMemory()).isTrue();
    assertThat(moved.sharedMemoryDirectory()).isEqualTo(elsewhere.toAbsolutePath());
    assertThat(moved.sharedMemoryThreshold()).isEqualTo(64 * 1024);
    assertThat(PoolConfig.builder(ADAPTER).sharedMemoryThreshold(Integer.MAX_VALUE).build().sharedMemoryThreshold())
        .isEqualTo(Integer.MAX_VALUE);

    PoolConfig off = PoolConfig.builder(ADAPTER).sharedMemoryDirectory(elsewhere).sharedMemory(false).build();
    assertThat(off.sharedMemory()).isFalse();
    assertThat(off.sharedMemoryDirectory()).isEqualTo(elsewhere.toAbsolutePath());
  }

  @Test
  void aRejectedValueLeavesTheBuilderAsItWas() {
    PoolConfig.Builder builder = PoolConfig.builder(ADAPTER).size(3);

    assertThatThrownBy(() -> builder.size(0)).isInstanceOf(IllegalArgumentException.class);

    assertThat(builder.build().size()).isEqualTo(3);
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    PoolConfig config = PoolConfig.builder(ADAPTER).build();

    assertThat(config.adapter()).isEqualTo(ADAPTER);
    assertThat(config.name()).isEqualTo("snakepit");
    assertThat(config.size()).isEqualTo(Math.min(PoolConfig.MAX_SIZE, Runtime.getRuntime().availableProcessors()));
    String fromEnvironment = System.getenv("SNAKEPIT_PYTHON");
    assertThat(config.pythonExecutable())
        .isEqualTo(fromEnvironment == null || fromEnvironment.isBlank() ? "python3" : fromEnvironment);
    assertThat(config.workingDirectory()).isEqualTo(Path.of("").toAbsolutePath());
    assertThat(config.pythonPath()).isEmpty();
    assertThat(config.environment()).isEmpty();
    assertThat(config.callTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.acquireTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.maxQueue()).isEqualTo(1024);
    assertThat(config.startTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.cancelGrace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.maxFrameBytes()).isEqualTo(128 * 1024 * 1024).isEqualTo(PoolConfig.DEFAULT_MAX_FRAME_BYTES);
    assertThat(config.pythonLogLevel()).isEqualTo("INFO");
    assertThat(config.crashLoopLimit()).isEqualTo(10);
    assertThat(config.recycleAfterCalls()).isZero();
    assertThat(config.recycleAfterAge()).isZero();
    assertThat(config.recycleAboveMemory()).isZero();
    assertThat(config.recycleAboveErrorRate()).isZero();
    assertThat(config.recycleJitter()).isEqualTo(0.1);
    assertThat(config.crashLoopWindow()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.listener()).isSameAs(PoolListener.NONE);
  }

  @Test
  void heartbeatsDefaultToTwoSecondsAndTenUnlessTheEnvironmentSaysOtherwise() {
    PoolConfig plain = new PoolConfig.Builder(ADAPTER, Map.of()).build();
    PoolConfig tuned = new PoolConfig.Builder(ADAPTER,
        Map.of("SNAKEPIT_HEARTBEAT_INTERVAL", "500", "SNAKEPIT_HEARTBEAT_TIMEOUT", " 3000 ")).build();
    PoolConfig overridden = new PoolConfig.Builder(ADAPTER, Map.of("SNAKEPIT_HEARTBEAT_INTERVAL", "500"))
        .heartbeatInterval(Duration.ofSeconds(1)).build();

    assertThat(plain.heartbeatInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(plain.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(tuned.heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(tuned.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(overridden.heartbeatInterval()).as("a setter wins over the environment").isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aBadHeartbeatVariableIsRejectedNamingTheVariableValueAndRule() {
    assertThatThrownBy(() -> new PoolConfig.Builder(ADAPTER, Map.of("SNAKEPIT_HEARTBEAT_INTERVAL", "2s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("environment variable SNAKEPIT_HEARTBEAT_INTERVAL = '2s' is invalid: it must be a whole number of milliseconds");
    assertThatThrownBy(() -> new PoolConfig.Builder(ADAPTER, Map.of("SNAKEPIT_HEARTBEAT_TIMEOUT", "-5")))
        .hasMessageStartingWith("environment variable SNAKEPIT_HEARTBEAT_TIMEOUT = '-5' is invalid: ")
        .hasMessageContaining("positive and at most PT24H");
  }

  @Test
  void theHeartbeatTimeoutMustBeLongerThanTheInterval() {
    PoolConfig.Builder builder = new PoolConfig.Builder(ADAPTER, Map.of())
        .heartbeatInterval(Duration.ofSeconds(3)).heartbeatTimeout(Duration.ofSeconds(3));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PoolConfig.heartbeatTimeout = PT3S is invalid: it must be longer than heartbeatInterval (PT3S)");
    assertThat(builder.heartbeatTimeout(Duration.ofMillis(3001)).build().heartbeatTimeout()).isEqualTo(Duration.ofMillis(3001));
  }

  @Test
  void aBuiltConfigIsUnaffectedByLaterBuilderChanges() {
    PoolConfig.Builder builder = PoolConfig.builder(ADAPTER).size(2).addPythonPath(Path.of("first")).environment("A", "1");
    PoolConfig config = builder.build();

    builder.size(5).addPythonPath(Path.of("second")).environment("B", "2").environment("A", "changed");

    assertThat(config.size()).isEqualTo(2);
    assertThat(config.pythonPath()).containsExactly(Path.of("first").toAbsolutePath());
    assertThat(config.environment()).containsExactly(java.util.Map.entry("A", "1"));
  }

  @Test
  void itsListsAndMapsCannotBeModified() {
    PoolConfig config = PoolConfig.builder(ADAPTER).addPythonPath(Path.of("lib")).environment("A", "1").build();

    assertThatThrownBy(() -> config.pythonPath().add(Path.of("more"))).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> config.environment().put("B", "2")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void pathsAreMadeAbsoluteAndEnvironmentKeepsItsOrder() {
    PoolConfig config = PoolConfig.builder(ADAPTER)
        .addPythonPath(Path.of("lib"))
        .workingDirectory(Path.of("."))
        .environment("Z", "1").environment("A", "2").environment("M", "3")
        .build();

    assertThat(config.pythonPath()).allMatch(Path::isAbsolute);
    assertThat(config.workingDirectory().isAbsolute()).isTrue();
    assertThat(List.copyOf(config.environment().keySet())).containsExactly("Z", "A", "M");
  }
}
