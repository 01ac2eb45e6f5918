package dev.snakepit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.PoolConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a server's configuration: YAML and properties, the starter's keys and value syntax, and every refusal. */
class ServerConfigTest {
  private static final String DEMO = "snakepit.examples.demo:DemoAdapter";

  @TempDir
  Path dir;

  private ServerConfig yaml(String text) throws IOException {
    Path file = dir.resolve("snakepit.yml");
    Files.writeString(file, text);
    return ServerConfig.load(file, b -> {});
  }

  @Test
  void readsPoolsAndServerFromYamlInTheFilesOrder() throws IOException {
    ServerConfig config = yaml("""
        snakepit:
          server:
            address: 127.0.0.1
            port: 0
            shutdown-grace: 10s
            max-body-size: 1MB
          pools:
            models:
              adapter: my.models:Adapter
              size: 3
              call-timeout: 1500ms
              recycle-above-memory: 512MB
              crash-loop:
                crashes: 7
              python-path: [lib, vendor]
              environment:
                MODEL_DIR: /models
            demo:
              adapter: %s
              callTimeout: PT2S
              python_log_level: DEBUG
        logging:
          level: info
        """.formatted(DEMO));
    assertThat(config.pools()).containsOnlyKeys("models", "demo");
    assertThat(config.pools().keySet()).containsExactly("models", "demo");
    PoolConfig models = config.pools().get("models");
    assertThat(models.size()).isEqualTo(3);
    assertThat(models.callTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(models.recycleAboveMemory()).isEqualTo(512L << 20);
    assertThat(models.crashLoopLimit()).isEqualTo(7);
    assertThat(models.crashLoopWindow()).isEqualTo(PoolConfig.builder(DEMO).build().crashLoopWindow());
    assertThat(models.pythonPath()).containsExactly(Path.of("lib").toAbsolutePath(), Path.of("vendor").toAbsolutePath());
    assertThat(models.environment()).containsEntry("MODEL_DIR", "/models");
    assertThat(config.pools().get("demo").callTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.pools().get("demo").pythonLogLevel()).isEqualTo("DEBUG");
    assertThat(config.port()).isZero();
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.maxBodyBytes()).isEqualTo(1L << 20);
  }

  @Test
  void readsAPropertiesFile() throws IOException {
    Path file = dir.resolve("snakepit.properties");
    Files.writeString(file, """
        snakepit.pools.main.adapter=%s
        snakepit.pools.main.size=2
        snakepit.pools.main.python-path=a,b
        snakepit.server.port=9090
        """.formatted(DEMO));
    ServerConfig config = ServerConfig.load(file, b -> {});
    assertThat(config.pools().get("main").size()).isEqualTo(2);
    assertThat(config.pools().get("main").pythonPath()).containsExactly(Path.of("a").toAbsolutePath(), Path.of("b").toAbsolutePath());
    assertThat(config.port()).isEqualTo(9090);
  }

  @Test
  void theDefaultsGoFirstAndTheFileOverridesThem() throws IOException {
    Path file = dir.resolve("snakepit.yml");
    Files.writeString(file, "snakepit.pools.a.adapter: " + DEMO + "\nsnakepit.pools.b.adapter: " + DEMO
        + "\nsnakepit.pools.b.python-executable: python3.12\n");
    ServerConfig config = ServerConfig.load(file, b -> b.pythonExecutable("/opt/python"));
    assertThat(config.pools().get("a").pythonExecutable()).isEqualTo("/opt/python");
    assertThat(config.pools().get("b").pythonExecutable()).isEqualTo("python3.12");
  }

  @Test
  void aBadValueIsRefusedNamingItsKeyAndTheRule() {
    assertThatThrownBy(() -> yaml("snakepit.pools.main:\n  adapter: " + DEMO + "\n  size: 0\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("snakepit.pools.main.size: PoolConfig.size = 0 is invalid: it must be between 1 and");
    assertThatThrownBy(() -> yaml("snakepit.pools.main:\n  adapter: " + DEMO + "\n  call-timeout: soon\n"))
        .hasMessageStartingWith("snakepit.pools.main.call-timeout: 'soon' is invalid: it must be a duration");
    assertThatThrownBy(() -> yaml("snakepit.pools.main:\n  adapter: " + DEMO + "\n  max-frame-bytes: 4GB\n"))
        .hasMessageContaining("max-frame-bytes: '4GB' is invalid: it must be a size of at most 2147483647 bytes");
    assertThatThrownBy(() -> yaml("snakepit.pools.main:\n  adapter: " + DEMO + "\n  crash-loop:\n    window: 0s\n"))
        .hasMessageStartingWith("snakepit.pools.main.crash-loop.window: ");
    assertThatThrownBy(() -> yaml("snakepit.pools.main:\n  adapter: " + DEMO + "\n  python-arrays: fast\n"))
        .hasMessageContaining("'fast' is invalid: it must be one of auto, numpy");
    assertThatThrownBy(() -> yaml("snakepit.pools.main:\n  adapter: not-a-class\n"))
        .hasMessageStartingWith("snakepit.pools.main.adapter: PoolConfig.adapter = 'not-a-class' is invalid");
  }

  @Test
  void anUnknownKeyIsRefusedNamingIt() {
    assertThatThrownBy(() -> yaml("snakepit.pools.main:\n  adapter: " + DEMO + "\n  sise: 2\n"))
        .hasMessageStartingWith("snakepit.pools.main.sise: no pool setting has this name; the settings are adapter, name, size");
    assertThatThrownBy(() -> yaml("snakepit.pools.main.adapter: " + DEMO + "\nsnakepit.server.prot: 1\n"))
        .hasMessageStartingWith("snakepit.server.prot: no server setting has this name");
    assertThatThrownBy(() -> yaml("snakepit.pool.main.adapter: " + DEMO + "\n"))
        .hasMessageStartingWith("snakepit.pool.main.adapter: no setting has this name");
    assertThatThrownBy(() -> yaml("snakepit.pools.main.size: 2\n"))
        .hasMessageStartingWith("snakepit.pools.main.adapter: is required");
    assertThatThrownBy(() -> yaml("other: 1\n")).hasMessageStartingWith("snakepit.pools: no pool is configured");
  }

  @Test
  void aFileThatIsNotAMappingOrNotThereIsRefused() throws IOException {
    assertThatThrownBy(() -> yaml("- a\n- b\n")).hasMessageContaining("must be a YAML mapping");
    assertThatThrownBy(() -> yaml("a: [\n")).hasMessageContaining("is not valid YAML");
    assertThatThrownBy(() -> yaml("a: 1\n---\nb: 2\n")).hasMessageContaining("more than one YAML document");
    assertThatThrownBy(() -> ServerConfig.load(dir.resolve("none.yml"), b -> {})).hasMessageContaining("no such file");
    Path toml = Files.writeString(dir.resolve("x.toml"), "a = 1");
    assertThatThrownBy(() -> ServerConfig.load(toml, b -> {})).hasMessageContaining("neither YAML");
  }

  @Test
  void beyondLoopbackATokenIsRequiredAndMustBeLongEnough() throws IOException {
    String pool = "snakepit.pools.main.adapter: " + DEMO + "\n";
    assertThatThrownBy(() -> yaml(pool + "snakepit.server.address: 0.0.0.0\n"))
        .hasMessageStartingWith("snakepit.server.token: is required when the server listens beyond loopback");
    assertThatThrownBy(() -> yaml(pool + "snakepit.server.token: short\n"))
        .hasMessageContaining("at least 16 characters");
    assertThatThrownBy(() -> yaml(pool + "snakepit.server.token: 'has spaces in it, and a comma'\n"))
        .hasMessageContaining("letters, digits");
    Files.writeString(dir.resolve("token"), "0123456789abcdef0123\n");
    ServerConfig config = yaml(pool + "snakepit.server.address: 0.0.0.0\nsnakepit.server.token-file: token\n");
    assertThat(config.token()).isEqualTo("0123456789abcdef0123");
    assertThat(config.toString()).doesNotContain("0123456789abcdef");
  }

  @Test
  void valuesReadAsSpringBootReadsThem() {
    assertThat(dev.snakepit.server.internal.Values.duration("250")).isEqualTo(Duration.ofMillis(250));
    assertThat(dev.snakepit.server.internal.Values.duration("3m")).isEqualTo(Duration.ofMinutes(3));
    assertThat(dev.snakepit.server.internal.Values.bytes("10")).isEqualTo(10);
    assertThat(dev.snakepit.server.internal.Values.bytes("2KB")).isEqualTo(2048);
    assertThatThrownBy(() -> dev.snakepit.server.internal.Values.bytes("2 apples"))
        .hasMessageContaining("'2 apples' is invalid: it must be a size");
  }
}
