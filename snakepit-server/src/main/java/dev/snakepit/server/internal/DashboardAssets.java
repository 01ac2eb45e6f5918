package dev.snakepit.server.internal;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** The dashboard's files, read once from the module: plain HTML, CSS and JavaScript, nothing to build. */
final class DashboardAssets {
  private static final Map<String, String> TYPES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "login.html", "text/html; charset=utf-8",
      "dashboard.js", "text/javascript; charset=utf-8",
      "dashboard.css", "text/css; charset=utf-8",
      "favicon.svg", "image/svg+xml");

  private final Map<String, byte[]> files;

  DashboardAssets() {
    Map<String, byte[]> read = new java.util.HashMap<>();
    TYPES.keySet().forEach(name -> read.put(name, read(name)));
    files = Map.copyOf(read);
  }

  boolean has(String name) {
    return files.containsKey(name) && !name.equals("login.html");
  }

  void serve(HttpExchange exchange, String name) throws IOException {
    Exchanges.send(exchange, 200, TYPES.get(name), files.get(name));
  }

  byte[] loginPage() {
    return files.get("login.html");
  }

  private static byte[] read(String name) {
    try (InputStream in = DashboardAssets.class.getResourceAsStream("dashboard/" + name)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard's " + name + " is missing from the server's jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
