package dev.snakepit.server.internal;

import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The bearer token a server may require: in an {@code Authorization: Bearer} header (scripts,
 * Prometheus), or in the {@code snakepit_token} cookie that opening {@code /?token=...} sets for the
 * dashboard, since a browser's event stream cannot send headers. The cookie is HttpOnly and
 * SameSite=Strict, so another site's page can neither read it nor make the browser send it. Tokens are
 * compared in constant time.
 */
final class TokenCheck {
  static final String COOKIE = "snakepit_token";

  private final byte[] token;

  /** {@code token} null: every request passes. */
  TokenCheck(String token) {
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  boolean required() {
    return token != null;
  }

  boolean passes(HttpExchange exchange) {
    if (token == null) {
      return true;
    }
    String header = exchange.getRequestHeaders().getFirst("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && matches(header.substring(7).strip())) {
      return true;
    }
    for (String cookies : exchange.getRequestHeaders().getOrDefault("Cookie", java.util.List.of())) {
      for (String cookie : cookies.split(";")) {
        String c = cookie.strip();
        if (c.startsWith(COOKIE + "=") && matches(c.substring(COOKIE.length() + 1))) {
          return true;
        }
      }
    }
    return false;
  }

  boolean matches(String given) {
    return token != null && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8));
  }

  /** The Set-Cookie value that lets the dashboard in after {@code /?token=...}. */
  String cookie(String given) {
    return COOKIE + "=" + given + "; Path=/; HttpOnly; SameSite=Strict";
  }
}
