package dev.snakepit.server.internal;

import dev.snakepit.PoolConfig;
import dev.snakepit.server.ConfigException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the keys {@code snakepit.pools.<name>.*} into pool configurations. The keys and value syntax are
 * the Spring Boot starter's ({@code call-timeout: 5s}, {@code recycle-above-memory: 512MB}); camelCase
 * and snake_case spellings match too, as relaxed binding allows. Each value goes through the
 * {@link PoolConfig.Builder} setter, so its rules are the only ones, and an error names the key.
 */
public final class PoolSettings {
  public static final String POOLS = "snakepit.pools.";

  /** How the builder's messages name a field: {@code PoolConfig.crashLoop.window = ...}. */
  private static final Pattern FIELD = Pattern.compile("^PoolConfig\\.([A-Za-z]+(?:\\.[A-Za-z]+)*) = ");
  private static final Pattern UPPER = Pattern.compile("([A-Z])");
  private static final Pattern INDEXED = Pattern.compile("^(.+)\\[(\\d+)]$");

  /** Every plain setting, by its canonical (kebab-case) name, in the starter's order. */
  private static final Map<String, BiConsumer<PoolConfig.Builder, String>> SETTINGS = settings();
  /** The settings made of two parts, each part's name under it ({@code crash-loop.window}). */
  private static final List<String> PAIRS = List.of("crash-loop.crashes", "crash-loop.window",
      "recycle-above-error-rate.rate", "recycle-above-error-rate.window");

  private PoolSettings() {}

  private static final List<String> KEYS = allKeys();

  /** The canonical name of every key a pool has, for documentation and the check against the starter. */
  public static List<String> keys() {
    return KEYS;
  }

  private static List<String> allKeys() {
    List<String> all = new java.util.ArrayList<>(List.of("adapter", "name"));
    all.addAll(SETTINGS.keySet());
    all.add("python-path");
    all.add("environment");
    all.addAll(PAIRS);
    return List.copyOf(all);
  }

  /**
   * The pools of {@code flat}, by the name they are keyed under, in the file's order. {@code defaults}
   * is applied to each builder before the file's settings, which override it.
   */
  public static Map<String, PoolConfig> pools(Map<String, String> flat, Consumer<PoolConfig.Builder> defaults) {
    Map<String, Map<String, String>> byPool = new LinkedHashMap<>();
    flat.forEach((key, value) -> {
      if (key.startsWith(POOLS)) {
        String rest = key.substring(POOLS.length());
        int dot = rest.indexOf('.');
        if (dot <= 0) {
          throw new ConfigException(key, "a pool's settings go under snakepit.pools.<name>.<setting>");
        }
        byPool.computeIfAbsent(rest.substring(0, dot), k -> new LinkedHashMap<>()).put(rest.substring(dot + 1), value);
      }
    });
    Map<String, PoolConfig> pools = new LinkedHashMap<>();
    byPool.forEach((name, keys) -> pools.put(name, pool(name, keys, defaults)));
    return pools;
  }

  private static PoolConfig pool(String key, Map<String, String> keys, Consumer<PoolConfig.Builder> defaults) {
    String prefix = POOLS + key;
    Map<String, String> settings = new LinkedHashMap<>();
    Map<String, String> environment = new LinkedHashMap<>();
    Map<Integer, String> pythonPath = new TreeMap<>();
    Map<String, String> pairs = new LinkedHashMap<>();
    keys.forEach((name, value) -> {
      if (name.startsWith("environment.")) {
        environment.put(name.substring("environment.".length()), value);
        return;
      }
      Matcher indexed = INDEXED.matcher(name);
      if (indexed.matches() && canonical(indexed.group(1)).equals("python-path")) {
        pythonPath.put(Integer.parseInt(indexed.group(2)), value);
        return;
      }
      String canonical = canonical(name);
      if (PAIRS.contains(canonical)) {
        pairs.put(canonical, value);
      } else if (canonical.equals("python-path")) {
        // A properties file's comma-separated list, as Spring reads it.
        int i = 0;
        for (String part : value.split(",")) {
          pythonPath.put(i++, part.strip());
        }
      } else if (canonical.equals("adapter") || canonical.equals("name") || SETTINGS.containsKey(canonical)) {
        settings.put(canonical, value);
      } else {
        throw new ConfigException(prefix + "." + name, "no pool setting has this name; the settings are " + String.join(", ", keys()));
      }
    });
    String adapter = settings.remove("adapter");
    if (adapter == null) {
      throw new ConfigException(prefix + ".adapter", "is required: the adapter class as package.module:Class");
    }
    PoolConfig.Builder builder = set(prefix, "adapter", () -> PoolConfig.builder(adapter));
    defaults.accept(builder);
    String name = settings.remove("name");
    set(prefix, "name", () -> builder.name(name == null ? key : name));
    // In the table's order, not the file's: some settings build on others (shared-memory-directory).
    SETTINGS.forEach((setting, setter) -> {
      if (settings.containsKey(setting)) {
        set(prefix, setting, () -> setter.accept(builder, settings.get(setting)));
      }
    });
    pythonPath.values().forEach(dir -> set(prefix, "python-path", () -> builder.addPythonPath(Path.of(dir))));
    environment.forEach((variable, value) -> set(prefix, "environment." + variable, () -> builder.environment(variable, value)));
    PoolConfig fallback = PoolConfig.builder(adapter).build();
    if (pairs.containsKey("crash-loop.crashes") || pairs.containsKey("crash-loop.window")) {
      set(prefix, "crash-loop", () -> builder.crashLoop(
          pairs.containsKey("crash-loop.crashes") ? Values.integer(pairs.get("crash-loop.crashes")) : fallback.crashLoopLimit(),
          pairs.containsKey("crash-loop.window") ? Values.duration(pairs.get("crash-loop.window")) : fallback.crashLoopWindow()));
    }
    if (pairs.containsKey("recycle-above-error-rate.rate") || pairs.containsKey("recycle-above-error-rate.window")) {
      set(prefix, "recycle-above-error-rate", () -> builder.recycleAboveErrorRate(
          pairs.containsKey("recycle-above-error-rate.rate")
              ? Values.decimal(pairs.get("recycle-above-error-rate.rate")) : fallback.recycleAboveErrorRate(),
          pairs.containsKey("recycle-above-error-rate.window")
              ? Values.integer(pairs.get("recycle-above-error-rate.window")) : fallback.recycleErrorWindow()));
    }
    return set(prefix, "", builder::build);
  }

  /** Runs {@code step}, turning a refusal into an error on the key it concerns. */
  private static <T> T set(String prefix, String setting, java.util.function.Supplier<T> step) {
    try {
      return step.get();
    } catch (ConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      Matcher field = FIELD.matcher(String.valueOf(e.getMessage()));
      String part = field.find() ? kebab(field.group(1)) : "";
      String named = setting.isEmpty() ? part : part.startsWith(setting + ".") ? part : setting;
      throw new ConfigException(named.isEmpty() ? prefix : prefix + "." + named, e.getMessage(), e);
    }
  }

  private static void set(String prefix, String setting, Runnable step) {
    set(prefix, setting, () -> {
      step.run();
      return null;
    });
  }

  /** The canonical form of a setting's name, whichever spelling the file uses. */
  static String canonical(String name) {
    return Values.relaxed(name, KEYS).orElseGet(() -> kebab(name));
  }

  private static String kebab(String field) {
    return UPPER.matcher(field).replaceAll("-$1").toLowerCase(Locale.ROOT);
  }

  private static Map<String, BiConsumer<PoolConfig.Builder, String>> settings() {
    Map<String, BiConsumer<PoolConfig.Builder, String>> s = new LinkedHashMap<>();
    s.put("size", (b, v) -> b.size(Values.integer(v)));
    s.put("python-executable", PoolConfig.Builder::pythonExecutable);
    s.put("working-directory", (b, v) -> b.workingDirectory(Path.of(v)));
    s.put("requirements", (b, v) -> b.requirements(Path.of(v)));
    s.put("pyproject", (b, v) -> b.pyproject(Path.of(v)));
    s.put("wheel-directory", (b, v) -> b.wheelDirectory(Path.of(v)));
    s.put("preload", (b, v) -> b.preload(Values.bool(v)));
    s.put("call-timeout", (b, v) -> b.callTimeout(Values.duration(v)));
    s.put("acquire-timeout", (b, v) -> b.acquireTimeout(Values.duration(v)));
    s.put("max-queue", (b, v) -> b.maxQueue(Values.integer(v)));
    s.put("start-timeout", (b, v) -> b.startTimeout(Values.duration(v)));
    s.put("shutdown-grace", (b, v) -> b.shutdownGrace(Values.duration(v)));
    s.put("cancel-grace", (b, v) -> b.cancelGrace(Values.duration(v)));
    s.put("max-frame-bytes", (b, v) -> b.maxFrameBytes(Values.intBytes(v)));
    s.put("heartbeat-interval", (b, v) -> b.heartbeatInterval(Values.duration(v)));
    s.put("heartbeat-timeout", (b, v) -> b.heartbeatTimeout(Values.duration(v)));
    s.put("max-crash-rate", (b, v) -> b.maxCrashRate(Values.decimal(v)));
    s.put("recycle-after-calls", (b, v) -> b.recycleAfterCalls(Values.longInteger(v)));
    s.put("recycle-after-age", (b, v) -> b.recycleAfterAge(Values.duration(v)));
    s.put("recycle-above-memory", (b, v) -> b.recycleAboveMemory(Values.bytes(v)));
    s.put("recycle-jitter", (b, v) -> b.recycleJitter(Values.decimal(v)));
    s.put("worker-memory-limit", (b, v) -> b.workerMemoryLimit(Values.bytes(v)));
    s.put("worker-cpu-limit", (b, v) -> b.workerCpuLimit(Values.decimal(v)));
    s.put("python-log-level", PoolConfig.Builder::pythonLogLevel);
    s.put("python-arrays", (b, v) -> b.pythonArrays(Values.constant(v, PoolConfig.PythonArrays.class)));
    s.put("max-sessions-per-worker", (b, v) -> b.maxSessionsPerWorker(Values.integer(v)));
    s.put("session-leak-threshold", (b, v) -> b.sessionLeakThreshold(Values.duration(v)));
    s.put("session-drain-timeout", (b, v) -> b.sessionDrainTimeout(Values.duration(v)));
    s.put("max-host-call-depth", (b, v) -> b.maxHostCallDepth(Values.integer(v)));
    s.put("pipeline-depth", (b, v) -> b.pipelineDepth(Values.integer(v)));
    s.put("shared-memory", (b, v) -> b.sharedMemory(Values.bool(v)));
    s.put("shared-memory-threshold", (b, v) -> b.sharedMemoryThreshold(Values.intBytes(v)));
    // After shared-memory: naming a directory turns shared memory on, as the builder documents.
    s.put("shared-memory-directory", (b, v) -> b.sharedMemoryDirectory(Path.of(v)));
    return s;
  }
}
