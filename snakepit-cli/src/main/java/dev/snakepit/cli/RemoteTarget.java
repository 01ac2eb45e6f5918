package dev.snakepit.cli;

import dev.snakepit.server.internal.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A running server, reached over its JSON API. */
final class RemoteTarget implements ToolTarget {
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final URI base;
  private final String token;
  private final String pool;

  private RemoteTarget(URI base, String token, String pool) {
    this.base = base;
    this.token = token;
    this.pool = pool;
  }

  /**
   * The server at {@code base}, using {@code pool}, or its only pool when null.
   *
   * @throws IllegalStateException when the server cannot be reached or says no, with its reason
   */
  @SuppressWarnings("unchecked")
  static RemoteTarget connect(URI base, String token, String pool) {
    RemoteTarget probe = new RemoteTarget(base, token, pool);
    if (pool != null) {
      return probe;
    }
    try {
      Map<String, Object> answer = probe.expectOk(probe.send(probe.request("api/pools").GET()));
      List<Map<String, Object>> pools = (List<Map<String, Object>>) answer.get("pools");
      if (pools.size() != 1) {
        probe.close();
        throw new IllegalStateException("the server at " + base + " has " + pools.size() + " pools; choose one with --pool: "
            + String.join(", ", pools.stream().map(p -> String.valueOf(p.get("name"))).toList()));
      }
      return new RemoteTarget(base, token, String.valueOf(pools.getFirst().get("name")));
    } finally {
      probe.client.close();
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> tools() {
    return (List<Map<String, Object>>) expectOk(send(request("api/pools/" + encoded(pool) + "/tools").GET())).get("tools");
  }

  @Override
  public Answer call(String tool, Map<String, Object> arguments, Duration timeout) {
    String path = "api/pools/" + encoded(pool) + "/tools/" + encoded(tool) + (timeout == null ? "" : "?timeout=" + timeout.toMillis() + "ms");
    HttpRequest.Builder request;
    try {
      request = request(path).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(Json.write(arguments)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Reply reply = send(request);
    return new Answer(reply.status() == 200, reply.body());
  }

  @Override
  public void close() {
    client.close();
  }

  private record Reply(int status, Map<String, Object> body) {}

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(path));
    if (token != null && !token.isBlank()) {
      builder.header("Authorization", "Bearer " + token.strip());
    }
    return builder;
  }

  @SuppressWarnings("unchecked")
  private Reply send(HttpRequest.Builder request) {
    HttpResponse<byte[]> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the server at " + base + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + base, e);
    }
    Object body;
    try {
      body = Json.read(response.body());
    } catch (IOException e) {
      throw new IllegalStateException("the server at " + base + " answered " + response.statusCode() + " with something that is not JSON: "
          + new String(response.body(), StandardCharsets.UTF_8).lines().findFirst().orElse(""), e);
    }
    if (!(body instanceof Map<?, ?> map)) {
      throw new IllegalStateException("the server at " + base + " answered " + response.statusCode() + " with JSON that is not an object");
    }
    return new Reply(response.statusCode(), (Map<String, Object>) map);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> expectOk(Reply reply) {
    if (reply.status() != 200) {
      Object error = reply.body().get("error");
      String message = error instanceof Map<?, ?> e ? String.valueOf(((Map<String, Object>) e).get("message")) : reply.body().toString();
      throw new IllegalStateException("the server at " + base + " answered " + reply.status() + ": " + message);
    }
    return reply.body();
  }

  private static String encoded(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
