package dev.snakepit.cli;

import java.io.PrintStream;
import java.util.Map;

/** A tool's failure as the API reports it ({@code {"error": {...}}}), printed for a person. */
final class ToolErrors {
  private ToolErrors() {}

  @SuppressWarnings("unchecked")
  static void print(Map<String, Object> body, PrintStream err) {
    Object raw = body.get("error");
    if (!(raw instanceof Map<?, ?>)) {
      err.println("call failed: " + body);
      return;
    }
    Map<String, Object> error = (Map<String, Object>) raw;
    Object kind = error.getOrDefault("kind", "HTTP " + error.get("status"));
    err.println("call failed (" + kind + "): " + error.get("message"));
    if (error.get("python") instanceof Map<?, ?> python && python.get("traceback") instanceof String traceback && !traceback.isBlank()) {
      err.println();
      err.print(traceback.endsWith("\n") ? traceback : traceback + "\n");
    }
  }
}
