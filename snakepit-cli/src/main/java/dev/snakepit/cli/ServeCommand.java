package dev.snakepit.cli;

import dev.snakepit.PoolConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.server.ConfigException;
import dev.snakepit.server.ServerConfig;
import dev.snakepit.server.SnakepitServer;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code snakepit serve}: runs the pools of a configuration file (or, with none, the bundled demo
 * adapter) behind HTTP, with the dashboard, until SIGTERM or Ctrl-C, which stop it gracefully.
 */
@Command(name = "serve",
    description = "run pools behind HTTP with a live dashboard, health checks and Prometheus metrics (docs/server.md)",
    footer = {"%nWithout --config it serves one pool, 'demo', of the bundled demo adapter.",
        "The token, if any, comes from --token-file, else $SNAKEPIT_SERVER_TOKEN, else the configuration."})
final class ServeCommand implements Callable<Integer> {
  static final String DEMO_ADAPTER = "snakepit.examples.demo:DemoAdapter";

  @Option(names = "--config", paramLabel = "FILE", description = "the configuration: YAML (.yml, .yaml) or .properties")
  Path config;

  @Option(names = "--address", paramLabel = "ADDR", description = "listen on this address (default: the configuration's, else 127.0.0.1)")
  String address;

  @Option(names = "--port", paramLabel = "N", description = "listen on this port, 0 for any free one (default: the configuration's, else 8080)")
  @Range(min = 0, max = 65_535)
  Integer port;

  @Option(names = "--token-file", paramLabel = "FILE", description = "the bearer token, on the file's first line")
  Path tokenFile;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2", description = "workers of the demo pool, without --config")
  @Range(min = 1, max = 64)
  int workers;

  @Mixin
  PythonOption python;

  private final Terminal terminal;

  ServeCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    ServerConfig server;
    StartProgress progress = new StartProgress(terminal);
    try {
      server = configuration(progress);
    } catch (ConfigException e) {
      terminal.err().println("serve: " + e.getMessage());
      return Main.USAGE;
    }
    progress.expect(server.pools().values().stream().mapToInt(PoolConfig::size).sum());
    SnakepitServer running;
    try {
      running = SnakepitServer.start(server);
    } catch (SnakepitException e) {
      progress.finish();
      terminal.err().println("serve: a pool could not start (" + e.kind() + "): " + e.getMessage());
      return Main.FAILED;
    } catch (UncheckedIOException e) {
      progress.finish();
      terminal.err().println("serve: " + e.getMessage() + " (is another server on that port? choose one with --port)");
      return Main.FAILED;
    }
    progress.finish();
    GracefulStop stop = GracefulStop.onSignals(running, terminal);
    terminal.out().println("serving " + server.pools().size() + " pool(s) " + server.pools().keySet() + " at " + running.uri());
    terminal.out().println("  dashboard " + running.uri() + (server.token() == null ? "" : "?token=<token>")
        + "   metrics " + running.uri().resolve("/metrics") + "   health " + running.uri().resolve("/health/ready"));
    terminal.out().println("  Ctrl-C or SIGTERM stops it, letting calls in progress finish");
    try {
      running.awaitStop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.close();
    }
    stop.uninstall();
    terminal.out().println("stopped");
    return Main.OK;
  }

  private ServerConfig configuration(StartProgress progress) {
    ServerConfig loaded;
    if (config != null) {
      loaded = ServerConfig.load(config, builder -> {
        builder.pythonExecutable(python.command());
        builder.listener(progress);
      });
    } else {
      loaded = ServerConfig.of(PoolConfig.builder(DEMO_ADAPTER).name("demo").size(workers)
          .pythonExecutable(python.command()).listener(progress).build());
    }
    String token = loaded.token();
    if (tokenFile != null) {
      token = ServerConfig.readToken(tokenFile);
    } else if (System.getenv("SNAKEPIT_SERVER_TOKEN") != null && !System.getenv("SNAKEPIT_SERVER_TOKEN").isBlank()) {
      token = System.getenv("SNAKEPIT_SERVER_TOKEN");
    }
    return new ServerConfig(address != null ? address : loaded.address(), port != null ? port : loaded.port(), token,
        loaded.shutdownGrace(), loaded.maxBodyBytes(), loaded.percentileHistograms(), loaded.pools());
  }
}
