package dev.snakepit.server;

import com.sun.net.httpserver.HttpServer;
import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import dev.snakepit.server.internal.HttpApi;
import dev.snakepit.server.internal.ServedPools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pools behind HTTP: health checks, Prometheus metrics, a JSON API for their state and for calling
 * their tools, and a live dashboard (docs/server.md). Built on the JDK's HTTP server, each request on
 * a virtual thread.
 *
 * <pre>{@code
 * try (SnakepitServer server = SnakepitServer.start(ServerConfig.load(Path.of("snakepit.yml"), b -> {}))) {
 *   System.out.println("dashboard at " + server.uri());
 *   server.awaitStop();
 * }
 * }</pre>
 *
 * <p>{@link #close()} stops gracefully: readiness turns to 503 at once, the HTTP server stops taking
 * connections and waits up to {@link ServerConfig#shutdownGrace()} for requests in progress, then every
 * pool closes, which lets its running calls finish within the pool's own shutdown grace.
 */
public final class SnakepitServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SnakepitServer.class);

  private final ServerConfig config;
  private final Map<String, Snakepit> pools;
  private final ServedPools served;
  private final HttpServer http;
  private final ExecutorService requests;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private SnakepitServer(ServerConfig config, Map<String, Snakepit> pools) throws IOException {
    this.config = config;
    this.pools = pools;
    this.served = new ServedPools(pools, Clock.systemUTC(), config.percentileHistograms());
    this.requests = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("snakepit-http-", 0).factory());
    this.http = HttpServer.create(new InetSocketAddress(config.address(), config.port()), 128);
    http.createContext("/", new HttpApi(served, config.token(), config.maxBodyBytes(), stopping::get));
    http.setExecutor(requests);
    http.start();
  }

  /** Starts every pool of {@code config} at once, then the HTTP server; a pool that fails to start stops the rest. */
  public static SnakepitServer start(ServerConfig config) {
    return start(config, pool -> {});
  }

  /**
   * As {@link #start(ServerConfig)}, handing each pool to {@code started} as soon as it serves (a
   * progress display, say), from the thread that started it.
   */
  public static SnakepitServer start(ServerConfig config, Consumer<Snakepit> started) {
    Map<String, CompletableFuture<Snakepit>> starting = new LinkedHashMap<>();
    for (Map.Entry<String, PoolConfig> pool : config.pools().entrySet()) {
      starting.put(pool.getKey(), CompletableFuture.supplyAsync(() -> {
        Snakepit p = Snakepit.start(pool.getValue());
        started.accept(p);
        return p;
      }, task -> Thread.ofPlatform().name("snakepit-server-start-" + pool.getKey()).start(task)));
    }
    Map<String, Snakepit> pools = new LinkedHashMap<>();
    RuntimeException failure = null;
    for (Map.Entry<String, CompletableFuture<Snakepit>> pool : starting.entrySet()) {
      try {
        pools.put(pool.getKey(), pool.getValue().join());
      } catch (java.util.concurrent.CompletionException e) {
        RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
        if (failure == null) {
          failure = cause;
        } else {
          failure.addSuppressed(cause);
        }
      }
    }
    if (failure != null) {
      pools.values().forEach(Snakepit::close);
      throw failure;
    }
    try {
      return new SnakepitServer(config, pools);
    } catch (IOException | RuntimeException e) {
      pools.values().forEach(Snakepit::close);
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot listen on " + config.address() + ":" + config.port() + ": " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
  }

  /** Where the server listens, such as {@code http://127.0.0.1:8080/} (the port is the real one when 0 was asked). */
  public URI uri() {
    InetSocketAddress bound = http.getAddress();
    String host = bound.getAddress().getHostAddress();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort() + "/");
  }

  /** The pools, by name, in the configuration's order. */
  public Map<String, Snakepit> pools() {
    return pools;
  }

  public ServerConfig config() {
    return config;
  }

  /** Waits until {@link #close()} has finished, from whichever thread called it. */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  /** Stops as the class header says; returns when every pool's workers are gone. Calling it again waits for the first. */
  @Override
  public void close() {
    if (!stopping.compareAndSet(false, true)) {
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      LOG.info("stopping: waiting up to {} for requests in progress", config.shutdownGrace());
      served.close(); // ends the event streams first: they would hold the HTTP server's stop for its whole grace
      http.stop((int) Math.min(Integer.MAX_VALUE, Math.max(0, config.shutdownGrace().toSeconds())));
      requests.shutdown();
      List<Thread> closing = new ArrayList<>();
      for (Snakepit pool : pools.values()) {
        closing.add(Thread.ofPlatform().name("snakepit-server-close-" + pool.config().name()).start(pool::close));
      }
      for (Thread t : closing) {
        t.join();
      }
      requests.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pools.values().forEach(Snakepit::close);
    } finally {
      stopped.countDown();
    }
  }
}
