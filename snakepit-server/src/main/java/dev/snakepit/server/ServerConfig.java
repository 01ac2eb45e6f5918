package dev.snakepit.server;

import dev.snakepit.PoolConfig;
import dev.snakepit.server.internal.FlatConfig;
import dev.snakepit.server.internal.PoolSettings;
import dev.snakepit.server.internal.Values;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What {@link SnakepitServer} runs: its pools, by name, and where and how it listens.
 *
 * <p>Read from a file with {@link #load(Path, Consumer)}: the pools under {@code snakepit.pools.<name>.*},
 * the keys of the Spring Boot starter, and the server under {@code snakepit.server.*}:
 * {@code address} (default {@value #DEFAULT_ADDRESS}), {@code port} (default {@value #DEFAULT_PORT}, 0
 * for any free port), {@code token} or {@code token-file}, {@code shutdown-grace} (default 30s) and
 * {@code max-body-size} (default 16MB) and {@code percentile-histograms} (default true: the call timers
 * publish histogram buckets, so Prometheus can compute percentiles). Keys outside {@code snakepit.*} are left to whoever else reads
 * the file; a key under it that nothing has fails the load, naming it.
 *
 * <p>A server bound beyond loopback must have a token: nothing but {@code /health/*} answers without it.
 *
 * @param address the address to listen on, a host name or literal
 * @param port the TCP port, 0 for any free one
 * @param token the bearer token required for everything but health, or null for none (loopback only)
 * @param shutdownGrace how long a stop waits for HTTP requests in progress before closing the pools
 * @param maxBodyBytes the largest request body accepted; a larger one is answered 413
 * @param percentileHistograms whether {@code /metrics} has histogram buckets for the call times
 * @param pools the pools, by name, in the order they start and are listed
 */
public record ServerConfig(String address, int port, String token, Duration shutdownGrace, long maxBodyBytes,
    boolean percentileHistograms, Map<String, PoolConfig> pools) {
  public static final String DEFAULT_ADDRESS = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  /** Shorter tokens can be guessed; {@code openssl rand -hex 32} makes a good one. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private static final String SERVER = "snakepit.server.";
  private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[A-Za-z0-9._~+/=-]+");
  private static final List<String> SERVER_KEYS =
      List.of("address", "port", "token", "token-file", "shutdown-grace", "max-body-size", "percentile-histograms");

  public ServerConfig {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    if (port < 0 || port > 65_535) {
      throw new ConfigException(SERVER + "port", port + " is invalid: it must be between 0 and 65535");
    }
    if (token != null && token.strip().length() < MIN_TOKEN_LENGTH) {
      throw new ConfigException(SERVER + "token", "is too short: it must be at least " + MIN_TOKEN_LENGTH
          + " characters (make one with: openssl rand -hex 32)");
    }
    token = token == null ? null : token.strip();
    if (token != null && !TOKEN.matcher(token).matches()) {
      throw new ConfigException(SERVER + "token", "must be letters, digits and - . _ ~ + / = only, as hex or base64 are"
          + " (it travels in a header and a cookie)");
    }
    if (shutdownGrace.isNegative()) {
      throw new ConfigException(SERVER + "shutdown-grace", shutdownGrace + " is invalid: it must not be negative");
    }
    if (maxBodyBytes < 1) {
      throw new ConfigException(SERVER + "max-body-size", maxBodyBytes + " is invalid: it must be at least 1 byte");
    }
    if (pools.isEmpty()) {
      throw new ConfigException("snakepit.pools", "no pool is configured: give at least snakepit.pools.<name>.adapter");
    }
    pools = Collections.unmodifiableMap(new LinkedHashMap<>(pools));
    if (token == null && !loopback(address)) {
      throw new ConfigException(SERVER + "token", "is required when the server listens beyond loopback ("
          + SERVER + "address = " + address + "): set " + SERVER + "token or token-file, or listen on 127.0.0.1");
    }
  }

  /** A server on loopback, port {@value #DEFAULT_PORT}, with no token, running {@code pools}. */
  public static ServerConfig of(PoolConfig... pools) {
    Map<String, PoolConfig> byName = new LinkedHashMap<>();
    for (PoolConfig pool : pools) {
      if (byName.put(pool.name(), pool) != null) {
        throw new ConfigException("snakepit.pools." + pool.name(), "two pools have this name");
      }
    }
    return new ServerConfig(DEFAULT_ADDRESS, DEFAULT_PORT, null, Duration.ofSeconds(30), 16L << 20, true, byName);
  }

  /**
   * Reads {@code file} (YAML or properties). {@code poolDefaults} is applied to each pool's builder
   * before the file's settings, which override it (the command line's {@code --python}, say).
   *
   * @throws ConfigException naming the key and the rule, for the first problem found
   */
  public static ServerConfig load(Path file, Consumer<PoolConfig.Builder> poolDefaults) {
    return fromKeys(FlatConfig.read(file), poolDefaults, file.toAbsolutePath().getParent());
  }

  /** As {@link #load}, from keys already flat ({@code snakepit.pools.main.size}); a token file is read relative to {@code base}. */
  public static ServerConfig fromKeys(Map<String, String> keys, Consumer<PoolConfig.Builder> poolDefaults, Path base) {
    Map<String, String> server = new LinkedHashMap<>();
    keys.forEach((key, value) -> {
      if (key.startsWith(SERVER)) {
        String canonical = Values.relaxed(key.substring(SERVER.length()), SERVER_KEYS)
            .orElseThrow(() -> new ConfigException(key, "no server setting has this name; they are "
                + String.join(", ", SERVER_KEYS)));
        server.put(canonical, value);
      } else if (key.startsWith("snakepit.") && !key.startsWith(PoolSettings.POOLS)) {
        throw new ConfigException(key, "no setting has this name: Snakepit reads snakepit.pools.<name>.* and snakepit.server.*");
      }
    });
    Map<String, PoolConfig> pools = PoolSettings.pools(keys, poolDefaults);
    String token = server.get("token");
    if (server.containsKey("token-file")) {
      if (token != null) {
        throw new ConfigException(SERVER + "token-file", "cannot be given with " + SERVER + "token: choose one");
      }
      token = readToken(base == null ? Path.of(server.get("token-file")) : base.resolve(server.get("token-file")));
    }
    return new ServerConfig(
        server.getOrDefault("address", DEFAULT_ADDRESS),
        parse("port", server.getOrDefault("port", String.valueOf(DEFAULT_PORT)), Values::integer),
        token,
        parse("shutdown-grace", server.getOrDefault("shutdown-grace", "30s"), Values::duration),
        parse("max-body-size", server.getOrDefault("max-body-size", "16MB"), Values::bytes),
        parse("percentile-histograms", server.getOrDefault("percentile-histograms", "true"), Values::bool),
        pools);
  }

  /** This configuration listening on {@code newAddress} and {@code newPort} instead. */
  public ServerConfig withListen(String newAddress, int newPort) {
    return new ServerConfig(newAddress, newPort, token, shutdownGrace, maxBodyBytes, percentileHistograms, pools);
  }

  /** This configuration with {@code newToken} (null for none). */
  public ServerConfig withToken(String newToken) {
    return new ServerConfig(address, port, newToken, shutdownGrace, maxBodyBytes, percentileHistograms, pools);
  }

  /** The first line of {@code file}: a token kept out of the configuration and the command line. */
  public static String readToken(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.isEmpty() || lines.getFirst().isBlank()) {
        throw new ConfigException(SERVER + "token-file", file + " is empty: its first line must be the token");
      }
      return lines.getFirst().strip();
    } catch (IOException e) {
      throw new ConfigException(SERVER + "token-file", file + " cannot be read: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    // The token stays out of logs.
    return "ServerConfig[address=" + address + ", port=" + port + ", token=" + (token == null ? "none" : "set")
        + ", shutdownGrace=" + shutdownGrace + ", maxBodyBytes=" + maxBodyBytes + ", percentileHistograms="
        + percentileHistograms + ", pools=" + pools.keySet() + "]";
  }

  private static <T> T parse(String key, String value, java.util.function.Function<String, T> parser) {
    try {
      return parser.apply(value);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(SERVER + key, e.getMessage(), e);
    }
  }

  static boolean loopback(String address) {
    try {
      for (InetAddress resolved : InetAddress.getAllByName(address)) {
        if (!resolved.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      throw new ConfigException(SERVER + "address", "'" + address + "' does not resolve to an address", e);
    }
  }
}
