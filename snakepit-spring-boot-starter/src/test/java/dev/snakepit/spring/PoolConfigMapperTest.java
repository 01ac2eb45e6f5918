package dev.snakepit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.PoolConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** Properties bound as Spring binds them, then applied through the builder; no worker starts here. */
class PoolConfigMapperTest {
  @TempDir
  Path directory;

  @Test
  void bindsEverySettingInSpringsForms() {
    Map<String, Object> p = new HashMap<>();
    p.put("adapter", "my_models.sentiment:SentimentAdapter");
    p.put("name", "sentiment");
    p.put("size", "3");
    p.put("python-executable", "/opt/python/bin/python3");
    p.put("working-directory", directory.toString());
    p.put("python-path", "lib,vendor");
    p.put("environment.MY_VARIABLE", "a value");
    p.put("environment.lowercase", "b");
    p.put("call-timeout", "45s");
    p.put("acquire-timeout", "PT2S");
    p.put("max-queue", "10");
    p.put("start-timeout", "1m");
    p.put("shutdown-grace", "4s");
    p.put("cancel-grace", "1500ms");
    p.put("max-frame-bytes", "64MB");
    p.put("heartbeat-interval", "500ms");
    p.put("heartbeat-timeout", "3s");
    p.put("crash-loop.crashes", "4");
    p.put("crash-loop.window", "30s");
    p.put("max-crash-rate", "0.5");
    p.put("recycle-after-calls", "1000");
    p.put("recycle-after-age", "1h");
    p.put("recycle-above-memory", "512MB");
    p.put("recycle-above-error-rate.rate", "0.25");
    p.put("recycle-above-error-rate.window", "50");
    p.put("recycle-jitter", "0.2");
    p.put("worker-memory-limit", "1GB");
    p.put("worker-cpu-limit", "1.5");
    p.put("python-log-level", "WARNING");
    p.put("python-arrays", "memoryview");
    p.put("max-sessions-per-worker", "8");
    p.put("session-leak-threshold", "10m");
    p.put("session-drain-timeout", "30s");
    p.put("max-host-call-depth", "4");
    p.put("pipeline-depth", "2");
    p.put("shared-memory-threshold", "1MB");
    p.put("shared-memory-directory", directory.toString());

    PoolConfig config = config("main", p);

    assertThat(config.adapter()).isEqualTo("my_models.sentiment:SentimentAdapter");
    assertThat(config.name()).isEqualTo("sentiment");
    assertThat(config.size()).isEqualTo(3);
    assertThat(config.pythonExecutable()).isEqualTo("/opt/python/bin/python3");
    assertThat(config.workingDirectory()).isEqualTo(directory.toAbsolutePath());
    assertThat(config.pythonPath()).containsExactly(Path.of("lib").toAbsolutePath(), Path.of("vendor").toAbsolutePath());
    assertThat(config.environment()).containsEntry("MY_VARIABLE", "a value").containsEntry("lowercase", "b");
    assertThat(config.callTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(config.acquireTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.maxQueue()).isEqualTo(10);
    assertThat(config.startTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(4));
    assertThat(config.cancelGrace()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.maxFrameBytes()).isEqualTo(64 << 20);
    assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(config.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.crashLoopLimit()).isEqualTo(4);
    assertThat(config.crashLoopWindow()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.maxCrashRate()).isEqualTo(0.5);
    assertThat(config.recycleAfterCalls()).isEqualTo(1000);
    assertThat(config.recycleAfterAge()).isEqualTo(Duration.ofHours(1));
    assertThat(config.recycleAboveMemory()).isEqualTo(512L << 20);
    assertThat(config.recycleAboveErrorRate()).isEqualTo(0.25);
    assertThat(config.recycleErrorWindow()).isEqualTo(50);
    assertThat(config.recycleJitter()).isEqualTo(0.2);
    assertThat(config.workerMemoryLimit()).isEqualTo(1L << 30);
    assertThat(config.workerCpuLimit()).isEqualTo(1.5);
    assertThat(config.pythonLogLevel()).isEqualTo("WARNING");
    assertThat(config.pythonArrays()).isEqualTo(PoolConfig.PythonArrays.MEMORYVIEW);
    assertThat(config.maxSessionsPerWorker()).isEqualTo(8);
    assertThat(config.sessionLeakThreshold()).isEqualTo(Duration.ofMinutes(10));
    assertThat(config.sessionDrainTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.maxHostCallDepth()).isEqualTo(4);
    assertThat(config.pipelineDepth()).isEqualTo(2);
    assertThat(config.sharedMemory()).as("a directory turns shared memory on").isTrue();
    assertThat(config.sharedMemoryThreshold()).isEqualTo(1 << 20);
    assertThat(config.sharedMemoryDirectory()).isEqualTo(directory.toAbsolutePath());
  }

  @Test
  void bindsTheYamlOfTheReadme() throws Exception {
    String yaml = """
        snakepit:
          pools:
            main:
              adapter: my_models.sentiment:SentimentAdapter
              python-path: python-src
              size: 4
              call-timeout: 5s
              recycle-above-memory: 512MB
              crash-loop: { crashes: 5, window: 1m }
              environment:
                OMP_NUM_THREADS: "1"
        """;
    StandardEnvironment environment = new StandardEnvironment();
    new YamlPropertySourceLoader().load("application.yml", new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)))
        .forEach(environment.getPropertySources()::addFirst);

    PoolConfig config = PoolConfigMapper.build("main",
        PoolConfigMapper.builder("main", SnakepitProperties.bind(environment).pools().get("main")));

    assertThat(config.name()).isEqualTo("main");
    assertThat(config.pythonPath()).containsExactly(Path.of("python-src").toAbsolutePath());
    assertThat(config.size()).isEqualTo(4);
    assertThat(config.callTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.recycleAboveMemory()).isEqualTo(512L << 20);
    assertThat(config.crashLoopLimit()).isEqualTo(5);
    assertThat(config.crashLoopWindow()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.environment()).containsEntry("OMP_NUM_THREADS", "1");
  }

  @Test
  void leavesWhatIsNotSetAtTheBuildersDefaultsAndNamesThePoolByItsKey() {
    PoolConfig config = config("images", Map.of("adapter", "m:A"));
    PoolConfig defaults = PoolConfig.builder("m:A").build();

    assertThat(config.name()).isEqualTo("images");
    assertThat(config).usingRecursiveComparison().ignoringFields("name").isEqualTo(defaults);
  }

  @Test
  void keepsTheDefaultOfTheHalfOfATwoPartSettingLeftOut() {
    PoolConfig defaults = PoolConfig.builder("m:A").build();
    PoolConfig config = config("main", Map.of("adapter", "m:A", "crash-loop.window", "5s",
        "recycle-above-error-rate.rate", "0.5"));

    assertThat(config.crashLoopWindow()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.crashLoopLimit()).isEqualTo(defaults.crashLoopLimit());
    assertThat(config.recycleAboveErrorRate()).isEqualTo(0.5);
    assertThat(config.recycleErrorWindow()).isEqualTo(defaults.recycleErrorWindow());
  }

  @Test
  void aRefusedValueIsReportedOnItsPropertyWithTheBuildersMessage() {
    assertRefused(Map.of("size", "0"), "snakepit.pools.main.size",
        "PoolConfig.size = 0 is invalid: it must be between 1 and 1024");
    assertRefused(Map.of("call-timeout", "0s"), "snakepit.pools.main.call-timeout",
        "PoolConfig.callTimeout = PT0S is invalid: it must be positive and at most PT24H");
    assertRefused(Map.of("crash-loop.window", "0s"), "snakepit.pools.main.crash-loop.window",
        "PoolConfig.crashLoop.window = PT0S is invalid: it must be positive and at most PT24H");
    assertRefused(Map.of("recycle-above-error-rate.window", "0"), "snakepit.pools.main.recycle-above-error-rate.window",
        "PoolConfig.recycleAboveErrorRate.window = 0 is invalid: it must be between 1 and 10000");
    assertRefused(Map.of("environment.SNAKEPIT_ARRAYS", "x"), "snakepit.pools.main.environment.SNAKEPIT_ARRAYS",
        "PoolConfig.environment = 'SNAKEPIT_ARRAYS' is invalid: names starting with SNAKEPIT_ are reserved for the runtime");
    assertRefused(Map.of("python-log-level", "info"), "snakepit.pools.main.python-log-level",
        "PoolConfig.pythonLogLevel = 'info' is invalid: it must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL");
    assertRefused(Map.of("working-directory", directory.resolve("absent").toString()), "snakepit.pools.main.working-directory",
        "PoolConfig.workingDirectory = " + directory.resolve("absent") + " is invalid: it must be an existing directory");
    assertRefused(Map.of("max-frame-bytes", "3GB"), "snakepit.pools.main.max-frame-bytes",
        "3221225472B is invalid: it must fit in an int, at most 2147483647 bytes");
  }

  @Test
  void aRuleAcrossSettingsIsReportedOnThePropertyItNames() {
    assertRefused(Map.of("heartbeat-interval", "5s", "heartbeat-timeout", "2s"), "snakepit.pools.main.heartbeat-timeout",
        "PoolConfig.heartbeatTimeout = PT2S is invalid: it must be longer than heartbeatInterval (PT5S)");
  }

  @Test
  void aMissingAdapterIsReportedOnItsProperty() {
    assertThatThrownBy(() -> PoolConfigMapper.builder("main", bind(Map.of("snakepit.pools.main.size", "2")).pools().get("main")))
        .isInstanceOf(PoolPropertyException.class)
        .hasMessage("snakepit.pools.main.adapter: PoolConfig.adapter = null is invalid: it must name a class as package.module:Class");
  }

  @Test
  void anUnknownKeyFailsTheBindingNamingIt() {
    assertThatThrownBy(() -> bind(Map.of("snakepit.pools.main.adapter", "m:A", "snakepit.pools.main.call-timout", "1s")))
        .isInstanceOf(BindException.class)
        .cause().isInstanceOf(UnboundConfigurationPropertiesException.class)
        .hasMessageContaining("snakepit.pools.main.call-timout");
  }

  @Test
  void namesEachPoolsBeanAfterItsKey() {
    assertThat(PoolBeanRegistrar.beanName("main")).isEqualTo("snakepitMain");
    assertThat(PoolBeanRegistrar.beanName("image-models")).isEqualTo("snakepitImageModels");
    assertThat(PoolBeanRegistrar.beanName("v2.models_big")).isEqualTo("snakepitV2ModelsBig");
  }

  private void assertRefused(Map<String, String> settings, String property, String builderMessage) {
    Map<String, Object> p = new HashMap<>(settings);
    p.put("adapter", "m:A");
    assertThatThrownBy(() -> config("main", p))
        .isInstanceOfSatisfying(PoolPropertyException.class, e -> assertThat(e.property()).isEqualTo(property))
        .hasMessage(property + ": " + builderMessage);
  }

  private static PoolConfig config(String key, Map<String, ?> settings) {
    Map<String, Object> properties = new HashMap<>();
    settings.forEach((name, value) -> properties.put("snakepit.pools." + key + "." + name, value));
    PoolProperties pool = bind(properties).pools().get(key);
    return PoolConfigMapper.build(key, PoolConfigMapper.builder(key, pool));
  }

  private static SnakepitProperties bind(Map<String, Object> properties) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
    return SnakepitProperties.bind(environment);
  }
}
