package dev.snakepit.cli;

import dev.snakepit.PoolConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.server.ConfigException;
import dev.snakepit.server.ServerConfig;
import dev.snakepit.server.internal.FlatConfig;
import dev.snakepit.server.internal.PoolSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options that say where {@code call} and {@code tools} run: {@code --server URL} (or
 * {@code $SNAKEPIT_SERVER}) for a running server, else a one-off pool of one worker of
 * {@code --adapter} (default the bundled demo adapter), or of a pool of {@code --config}.
 */
final class TargetOptions {
  @Option(names = "--server", paramLabel = "URL", description = "a running server, such as http://127.0.0.1:8080 (default $SNAKEPIT_SERVER)")
  String server;

  @Option(names = "--pool", paramLabel = "NAME", description = "the pool to use (default: the server's or the configuration's only pool)")
  String pool;

  @Option(names = "--token-file", paramLabel = "FILE", description = "the server's token, on the file's first line (default $SNAKEPIT_SERVER_TOKEN)")
  Path tokenFile;

  @Option(names = "--adapter", paramLabel = "MODULE:CLASS", description = "without a server: the adapter of a one-off pool (default " + ServeCommand.DEMO_ADAPTER + ")")
  String adapter;

  @Option(names = "--path", paramLabel = "DIR", description = "without a server: a directory to import the adapter from (repeatable)")
  List<Path> paths = List.of();

  @Option(names = "--config", paramLabel = "FILE", description = "without a server: take the one-off pool from this configuration (with --pool when it has several)")
  Path config;

  @Mixin
  PythonOption python;

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  /**
   * Runs {@code work} on the target these options name and closes it; when the target cannot be reached
   * or started, prints why, prefixed with {@code command}, and returns empty.
   */
  <T> Optional<T> use(Terminal terminal, String command, Function<ToolTarget, T> work) {
    try (ToolTarget on = open(terminal)) {
      return Optional.of(work.apply(on));
    } catch (ConfigException | IllegalStateException e) {
      terminal.err().println(command + ": " + e.getMessage());
    } catch (SnakepitException e) {
      terminal.err().println(command + ": the pool could not start (" + e.kind() + "): " + e.getMessage());
    }
    return Optional.empty();
  }

  /** The target these options name, started (a one-off pool) or reached (a server). */
  ToolTarget open(Terminal terminal) {
    String url = server != null ? server : System.getenv("SNAKEPIT_SERVER");
    if (url != null && !url.isBlank()) {
      if (adapter != null || config != null || !paths.isEmpty()) {
        throw new ParameterException(mixee.commandLine(), "--server cannot be given with --adapter, --path or --config: "
            + "the server's pools are used");
      }
      String token = tokenFile != null ? ServerConfig.readToken(tokenFile) : System.getenv("SNAKEPIT_SERVER_TOKEN");
      URI base;
      try {
        base = URI.create(url.endsWith("/") ? url : url + "/");
        if (base.getScheme() == null || !base.getScheme().startsWith("http")) {
          throw new IllegalArgumentException("it must start with http:// or https://");
        }
      } catch (IllegalArgumentException e) {
        throw new ParameterException(mixee.commandLine(), "--server '" + url + "' is invalid: " + e.getMessage());
      }
      return RemoteTarget.connect(base, token, pool);
    }
    StartProgress progress = new StartProgress(terminal);
    return LocalTarget.start(poolConfig(progress), progress);
  }

  private PoolConfig poolConfig(StartProgress progress) {
    if (config != null) {
      if (adapter != null || !paths.isEmpty()) {
        throw new ParameterException(mixee.commandLine(), "--config cannot be given with --adapter or --path");
      }
      Map<String, String> keys = new LinkedHashMap<>(FlatConfig.read(config));
      Consumer<PoolConfig.Builder> defaults = b -> b.pythonExecutable(python.command()).listener(progress);
      ServerConfig loaded = ServerConfig.fromKeys(keys, defaults, config.toAbsolutePath().getParent());
      String name = pool != null ? pool : loaded.pools().size() == 1 ? loaded.pools().keySet().iterator().next() : null;
      if (name == null || !loaded.pools().containsKey(name)) {
        throw new ParameterException(mixee.commandLine(), (name == null ? "--pool is needed" : "--pool '" + name + "' is not in it")
            + ": " + config + " has the pools " + String.join(", ", loaded.pools().keySet()));
      }
      // One worker is enough for one command, whatever size the pool is configured with.
      keys.keySet().removeIf(k -> k.startsWith(PoolSettings.POOLS) && !k.startsWith(PoolSettings.POOLS + name + "."));
      keys.put(PoolSettings.POOLS + name + ".size", "1");
      return ServerConfig.fromKeys(keys, defaults, config.toAbsolutePath().getParent()).pools().get(name);
    }
    PoolConfig.Builder builder = PoolConfig.builder(adapter != null ? adapter : ServeCommand.DEMO_ADAPTER)
        .name(pool != null ? pool : "cli").size(1).pythonExecutable(python.command()).listener(progress);
    paths.forEach(builder::addPythonPath);
    return builder.build();
  }
}
