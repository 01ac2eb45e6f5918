package dev.snakepit.cli;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Where {@code snakepit call} and {@code snakepit tools} send their work: a running server, or a pool
 * of one worker started for the command alone. Both answer in the server's JSON shapes
 * (docs/server.md), so the output is the same either way.
 */
interface ToolTarget extends AutoCloseable {
  /** The tools, as {@code GET /api/pools/{pool}/tools} lists them. */
  List<Map<String, Object>> tools();

  /** Calls {@code tool}; the answer of {@code POST /api/pools/{pool}/tools/{tool}}. */
  Answer call(String tool, Map<String, Object> arguments, Duration timeout);

  /** An answer: the call's value and where it ran, or its error. */
  record Answer(boolean ok, Map<String, Object> body) {}

  @Override
  void close();
}
