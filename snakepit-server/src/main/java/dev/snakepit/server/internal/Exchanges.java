package dev.snakepit.server.internal;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reading requests and writing answers on the JDK's HTTP server. */
final class Exchanges {
  private Exchanges() {}

  /** An answer with an HTTP status other than 200, raised from deep in a handler. */
  static final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    HttpError(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  static void json(HttpExchange exchange, int status, Object tree) throws IOException {
    send(exchange, status, "application/json", Json.bytes(tree));
  }

  static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** {@code {"error": {"status": 404, "message": ...}}}, the shape of every error that is not a call's. */
  static Map<String, Object> error(int status, String message) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("status", status);
    error.put("message", message);
    return Map.of("error", error);
  }

  /**
   * The request's body, refused with 413 when it is longer than {@code max} bytes: by its declared
   * length before reading, else as soon as the bytes read pass the limit.
   */
  static byte[] body(HttpExchange exchange, long max) throws IOException {
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.strip());
      } catch (NumberFormatException e) {
        throw new HttpError(400, "Content-Length '" + declared + "' is not a number");
      }
      if (length > max) {
        throw new HttpError(413, "the body is " + length + " bytes; the limit (snakepit.server.max-body-size) is " + max);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = exchange.getRequestBody()) {
      byte[] chunk = new byte[16 * 1024];
      int n;
      while ((n = in.read(chunk)) > 0) {
        if (out.size() + (long) n > max) {
          throw new HttpError(413, "the body is longer than the limit (snakepit.server.max-body-size) of " + max + " bytes");
        }
        out.write(chunk, 0, n);
      }
    }
    return out.toByteArray();
  }

  /** The query's parameters, decoded; a repeated one keeps its last value. */
  static Map<String, String> query(HttpExchange exchange) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return out;
  }
}
