package dev.snakepit.spring;

import dev.snakepit.PoolConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.util.unit.DataSize;

/**
 * Turns the {@link PoolProperties} of one pool into a {@link PoolConfig.Builder} by calling the builder's
 * setters, so that its rules and messages are the only ones. A value the builder refuses becomes a
 * {@link PoolPropertyException} naming the property it came from ({@code snakepit.pools.main.size}).
 */
final class PoolConfigMapper {
  /** How the builder's messages name a field: {@code PoolConfig.crashLoop.window = ...}. */
  private static final Pattern FIELD = Pattern.compile("^PoolConfig\\.([A-Za-z]+(?:\\.[A-Za-z]+)*) = ");
  private static final Pattern UPPER = Pattern.compile("([A-Z])");

  private final String prefix;
  private final PoolConfig.Builder builder;

  private PoolConfigMapper(String prefix, PoolConfig.Builder builder) {
    this.prefix = prefix;
    this.builder = builder;
  }

  /** The path of the properties of pool {@code key}: {@code snakepit.pools.<key>}. */
  static String prefix(String key) {
    return SnakepitProperties.PREFIX + ".pools." + key;
  }

  /**
   * A builder holding every setting of {@code properties} that is set; the pool's name is {@code key}
   * unless {@code name} says otherwise.
   *
   * @throws PoolPropertyException for the first setting the builder refuses
   */
  static PoolConfig.Builder builder(String key, PoolProperties properties) {
    String prefix = prefix(key);
    PoolConfig.Builder builder;
    try {
      builder = PoolConfig.builder(properties.adapter());
    } catch (IllegalArgumentException e) {
      // The adapter, or a default the builder reads from the process's environment (SNAKEPIT_HEARTBEAT_*).
      throw new PoolPropertyException(propertyNamed(prefix, e), e.getMessage(), e);
    }
    new PoolConfigMapper(prefix, builder).apply(key, properties);
    return builder;
  }

  /**
   * Builds the configuration of pool {@code key}; a cross-field rule that fails is reported on the
   * property its message names ({@code heartbeat-timeout}), or on the pool when it names none.
   */
  static PoolConfig build(String key, PoolConfig.Builder builder) {
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new PoolPropertyException(propertyNamed(prefix(key), e), e.getMessage(), e);
    }
  }

  /** The property the builder's message names under {@code prefix}, or {@code prefix} itself when it names none. */
  private static String propertyNamed(String prefix, IllegalArgumentException e) {
    Matcher field = FIELD.matcher(String.valueOf(e.getMessage()));
    return field.find() ? prefix + "." + kebab(field.group(1)) : prefix;
  }

  private void apply(String key, PoolProperties p) {
    set("name", p.name() == null ? key : p.name(), builder::name);
    set("size", p.size(), builder::size);
    set("python-executable", p.pythonExecutable(), builder::pythonExecutable);
    set("working-directory", p.workingDirectory(), v -> builder.workingDirectory(Path.of(v)));
    List<String> pythonPath = p.pythonPath() == null ? List.of() : p.pythonPath();
    for (int i = 0; i < pythonPath.size(); i++) {
      set("python-path[" + i + "]", pythonPath.get(i), v -> builder.addPythonPath(Path.of(v)));
    }
    Map<String, String> environment = p.environment() == null ? Map.of() : p.environment();
    environment.forEach((name, value) -> set("environment." + name, value, v -> builder.environment(name, v)));
    set("requirements", p.requirements(), v -> builder.requirements(Path.of(v)));
    set("pyproject", p.pyproject(), v -> builder.pyproject(Path.of(v)));
    set("wheel-directory", p.wheelDirectory(), v -> builder.wheelDirectory(Path.of(v)));
    set("preload", p.preload(), builder::preload);
    set("call-timeout", p.callTimeout(), builder::callTimeout);
    set("acquire-timeout", p.acquireTimeout(), builder::acquireTimeout);
    set("max-queue", p.maxQueue(), builder::maxQueue);
    set("start-timeout", p.startTimeout(), builder::startTimeout);
    set("shutdown-grace", p.shutdownGrace(), builder::shutdownGrace);
    set("cancel-grace", p.cancelGrace(), builder::cancelGrace);
    set("max-frame-bytes", p.maxFrameBytes(), v -> builder.maxFrameBytes(intBytes("max-frame-bytes", v)));
    set("heartbeat-interval", p.heartbeatInterval(), builder::heartbeatInterval);
    set("heartbeat-timeout", p.heartbeatTimeout(), builder::heartbeatTimeout);
    if (p.crashLoop() != null && (p.crashLoop().crashes() != null || p.crashLoop().window() != null)) {
      set("crash-loop", p.crashLoop(), v -> builder.crashLoop(
          v.crashes() != null ? v.crashes() : defaults(p).crashLoopLimit(),
          v.window() != null ? v.window() : defaults(p).crashLoopWindow()));
    }
    set("max-crash-rate", p.maxCrashRate(), builder::maxCrashRate);
    set("recycle-after-calls", p.recycleAfterCalls(), builder::recycleAfterCalls);
    set("recycle-after-age", p.recycleAfterAge(), builder::recycleAfterAge);
    set("recycle-above-memory", p.recycleAboveMemory(), v -> builder.recycleAboveMemory(v.toBytes()));
    PoolProperties.ErrorRate errorRate = p.recycleAboveErrorRate();
    if (errorRate != null && (errorRate.rate() != null || errorRate.window() != null)) {
      set("recycle-above-error-rate", errorRate, v -> builder.recycleAboveErrorRate(
          v.rate() != null ? v.rate() : defaults(p).recycleAboveErrorRate(),
          v.window() != null ? v.window() : defaults(p).recycleErrorWindow()));
    }
    set("recycle-jitter", p.recycleJitter(), builder::recycleJitter);
    set("worker-memory-limit", p.workerMemoryLimit(), v -> builder.workerMemoryLimit(v.toBytes()));
    set("worker-cpu-limit", p.workerCpuLimit(), builder::workerCpuLimit);
    set("python-log-level", p.pythonLogLevel(), builder::pythonLogLevel);
    set("python-arrays", p.pythonArrays(), builder::pythonArrays);
    set("max-sessions-per-worker", p.maxSessionsPerWorker(), builder::maxSessionsPerWorker);
    set("session-leak-threshold", p.sessionLeakThreshold(), builder::sessionLeakThreshold);
    set("session-drain-timeout", p.sessionDrainTimeout(), builder::sessionDrainTimeout);
    set("max-host-call-depth", p.maxHostCallDepth(), builder::maxHostCallDepth);
    set("pipeline-depth", p.pipelineDepth(), builder::pipelineDepth);
    set("shared-memory", p.sharedMemory(), builder::sharedMemory);
    set("shared-memory-threshold", p.sharedMemoryThreshold(),
        v -> builder.sharedMemoryThreshold(intBytes("shared-memory-threshold", v)));
    // After shared-memory: naming a directory turns shared memory on, as the builder documents.
    set("shared-memory-directory", p.sharedMemoryDirectory(), v -> builder.sharedMemoryDirectory(Path.of(v)));
  }

  /**
   * Applies {@code value} unless it is unset, naming {@code property} if the builder refuses it, or the
   * part of it the builder's message names ({@code crash-loop.window} of {@code crash-loop}).
   */
  private <T> void set(String property, T value, Consumer<T> setter) {
    if (value == null) {
      return;
    }
    try {
      setter.accept(value);
    } catch (PoolPropertyException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      Matcher field = FIELD.matcher(String.valueOf(e.getMessage()));
      String part = field.find() ? kebab(field.group(1)) : "";
      String named = part.startsWith(property + ".") ? part : property;
      throw new PoolPropertyException(prefix + "." + named, e.getMessage(), e);
    }
  }

  /** The builder's defaults, for the half of a two-part setting that is left out. */
  private static PoolConfig defaults(PoolProperties p) {
    return PoolConfig.builder(p.adapter()).build();
  }

  /** A byte amount for a setting the builder takes as an int; one above that is refused here, not cut. */
  private int intBytes(String property, DataSize value) {
    long bytes = value.toBytes();
    if (bytes != (int) bytes) {
      throw new PoolPropertyException(prefix + "." + property,
          value + " is invalid: it must fit in an int, at most " + Integer.MAX_VALUE + " bytes", null);
    }
    return (int) bytes;
  }

  /** {@code crashLoop.window} as a property: {@code crash-loop.window}. */
  private static String kebab(String field) {
    return UPPER.matcher(field).replaceAll("-$1").toLowerCase(Locale.ROOT);
  }
}
