package dev.snakepit.server.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.snakepit.PoolHealth;
import dev.snakepit.Snakepit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every path the server answers (docs/server.md has the reference):
 *
 * <pre>
 *   GET  /health/live, /health/ready          no token needed; 200 or 503 with each pool's status
 *   GET  /metrics                             Prometheus text format
 *   GET  /api/pools                           every pool's health and counts
 *   GET  /api/pools/{pool}                    one pool, with its workers, events and history
 *   GET  /api/pools/{pool}/tools              its tools, with parameters and docs
 *   POST /api/pools/{pool}/tools/{tool}       calls a tool: a JSON object of keyword arguments
 *   GET  /api/events                          server-sent events: a snapshot of every pool on change
 *   GET  /                                    the dashboard (/?token=... lets a browser in)
 * </pre>
 *
 * Each request runs on a virtual thread of its own, so a long tool call holds nothing but itself.
 */
public final class HttpApi implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

  private final ServedPools served;
  private final TokenCheck tokens;
  private final ToolCalls calls;
  private final DashboardAssets assets = new DashboardAssets();
  /** True once the server is stopping: readiness fails, so traffic moves elsewhere before it ends. */
  private final BooleanSupplier stopping;

  public HttpApi(ServedPools served, String token, long maxBodyBytes, BooleanSupplier stopping) {
    this.served = served;
    this.tokens = new TokenCheck(token);
    this.calls = new ToolCalls(maxBodyBytes);
    this.stopping = stopping;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      route(exchange);
    } catch (Exchanges.HttpError e) {
      answerError(exchange, e.status, e.getMessage());
    } catch (IOException e) {
      LOG.debug("a request to {} ended early: {}", exchange.getRequestURI(), e.toString());
    } catch (RuntimeException e) {
      LOG.warn("a request to {} failed", exchange.getRequestURI(), e);
      answerError(exchange, 500, "the server failed: " + e);
    } finally {
      exchange.close();
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    List<String> parts = segments(path);
    if (parts.size() == 2 && parts.get(0).equals("health")) {
      get(method);
      health(exchange, parts.get(1));
      return;
    }
    if (path.equals("/favicon.svg")) { // the login page's icon too
      get(method);
      assets.serve(exchange, "favicon.svg");
      return;
    }
    String login = path.equals("/") && tokens.required() ? Exchanges.query(exchange).get("token") : null;
    if (login != null) {
      logIn(exchange, login);
      return;
    }
    if (!tokens.passes(exchange)) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"snakepit\"");
      if (path.equals("/")) {
        Exchanges.send(exchange, 401, "text/html; charset=utf-8", assets.loginPage());
      } else {
        Exchanges.json(exchange, 401, Exchanges.error(401,
            "this server needs its token: send 'Authorization: Bearer <token>' (a browser opens /?token=<token> once)"));
      }
      return;
    }
    if (parts.isEmpty() || (parts.size() == 1 && assets.has(parts.getFirst()))) {
      get(method);
      assets.serve(exchange, parts.isEmpty() ? "index.html" : parts.getFirst());
    } else if (parts.equals(List.of("metrics"))) {
      get(method);
      Exchanges.send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
          served.registry().scrape().getBytes(StandardCharsets.UTF_8));
    } else if (parts.equals(List.of("api", "events"))) {
      get(method);
      served.events().serve(exchange);
    } else if (parts.equals(List.of("api", "pools"))) {
      get(method);
      List<Map<String, Object>> all = new ArrayList<>();
      served.pools().forEach((name, pool) -> all.add(PoolViews.summary(name, pool)));
      Exchanges.json(exchange, 200, Map.of("pools", all));
    } else if (parts.size() >= 3 && parts.get(0).equals("api") && parts.get(1).equals("pools")) {
      pool(exchange, method, parts);
    } else {
      throw new Exchanges.HttpError(404, "nothing at " + path + "; see /api/pools, /api/events, /metrics, /health/ready");
    }
  }

  private void pool(HttpExchange exchange, String method, List<String> parts) throws IOException {
    String name = parts.get(2);
    Snakepit pool = served.pools().get(name);
    if (pool == null) {
      throw new Exchanges.HttpError(404, "no pool is named '" + name + "'; the pools are " + String.join(", ", served.pools().keySet()));
    }
    if (parts.size() == 3) {
      get(method);
      Exchanges.json(exchange, 200, PoolViews.detail(name, pool, served.watch(name)));
    } else if (parts.size() == 4 && parts.get(3).equals("tools")) {
      get(method);
      Exchanges.json(exchange, 200, Map.of("pool", name, "tools", PoolViews.tools(pool.tools())));
    } else if (parts.size() == 5 && parts.get(3).equals("tools")) {
      if (!method.equals("POST")) {
        exchange.getResponseHeaders().set("Allow", "POST");
        throw new Exchanges.HttpError(405, method + " is not allowed here: a tool is called with POST");
      }
      calls.call(exchange, name, pool, parts.get(4));
    } else {
      throw new Exchanges.HttpError(404, "nothing at " + exchange.getRequestURI().getPath());
    }
  }

  private void health(HttpExchange exchange, String which) throws IOException {
    boolean ready = which.equals("ready");
    if (!ready && !which.equals("live")) {
      throw new Exchanges.HttpError(404, "the health checks are /health/live and /health/ready");
    }
    boolean up = !(ready && stopping.getAsBoolean());
    Map<String, Object> pools = new LinkedHashMap<>();
    for (Map.Entry<String, Snakepit> pool : served.pools().entrySet()) {
      PoolHealth health = pool.getValue().health();
      up &= ready ? health.ready() : health.live();
      pools.put(pool.getKey(), PoolViews.health(health));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("status", up ? "UP" : ready ? "OUT_OF_SERVICE" : "DOWN");
    if (ready && stopping.getAsBoolean()) {
      out.put("reason", "the server is stopping");
    }
    out.put("pools", pools);
    Exchanges.json(exchange, up ? 200 : 503, out);
  }

  private void logIn(HttpExchange exchange, String given) throws IOException {
    if (!tokens.matches(given)) {
      Exchanges.send(exchange, 401, "text/html; charset=utf-8", assets.loginPage());
      return;
    }
    exchange.getResponseHeaders().add("Set-Cookie", tokens.cookie(given));
    exchange.getResponseHeaders().set("Location", "/");
    Exchanges.send(exchange, 303, "text/plain; charset=utf-8", new byte[0]);
  }

  private static void get(String method) {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw new Exchanges.HttpError(405, method + " is not allowed here: use GET");
    }
  }

  private static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty()) {
        out.add(part);
      }
    }
    return out;
  }

  private static void answerError(HttpExchange exchange, int status, String message) {
    try {
      Exchanges.json(exchange, status, Exchanges.error(status, message));
    } catch (IOException | RuntimeException e) {
      // The answer had begun, or the client left: nothing more can be said.
    }
  }
}
