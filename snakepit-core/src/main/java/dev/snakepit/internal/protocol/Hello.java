package dev.snakepit.internal.protocol;

import dev.snakepit.ToolInfo;
import dev.snakepit.ToolParameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a worker says about itself in its HELLO frame (docs/protocol.md, section 4.1).
 *
 * @param pid the worker's pid as it sees it
 * @param pythonVersion such as {@code 3.11.7}
 * @param selfDispatching whether the adapter routes calls itself through {@code execute_tool}
 * @param tools the declared tools
 * @param protocols the protocol versions the worker speaks
 * @param sessionHooks the session hooks the adapter defines (section 4.12)
 */
public record Hello(long pid, String pythonVersion, boolean selfDispatching, List<ToolInfo> tools, List<Long> protocols,
    List<String> sessionHooks) {
  /** The HELLO body, read leniently: a field of the wrong shape reads as absent. */
  public static Hello parse(Map<?, ?> body) {
    List<Long> protocols = new ArrayList<>();
    if (body.get("protocol") instanceof List<?> list) {
      for (Object v : list) {
        if (v instanceof Long l) {
          protocols.add(l);
        }
      }
    }
    String version = null;
    if (body.get("python") instanceof Map<?, ?> python) {
      version = text(python.get("version"));
    }
    List<ToolInfo> tools = new ArrayList<>();
    if (body.get("tools") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> tool) {
          tools.add(tool(tool));
        }
      }
    }
    List<String> hooks = new ArrayList<>();
    if (body.get("session_hooks") instanceof List<?> list) {
      for (Object hook : list) {
        if (hook instanceof String name) {
          hooks.add(name);
        }
      }
    }
    long pid = body.get("pid") instanceof Long l ? l : -1;
    return new Hello(pid, version, "execute_tool".equals(body.get("dispatch")), List.copyOf(tools), List.copyOf(protocols),
        List.copyOf(hooks));
  }

  /**
   * The tools that run more than one call at a time on a worker, with how many; none for an adapter
   * that dispatches calls itself, whose calls all run one at a time.
   */
  public Map<String, Integer> concurrentTools() {
    Map<String, Integer> concurrent = new HashMap<>();
    if (!selfDispatching) {
      tools.stream().filter(tool -> tool.concurrency() > 1).forEach(tool -> concurrent.put(tool.name(), tool.concurrency()));
    }
    return concurrent;
  }

  /** Whether the adapter can move a session between workers: it defines snapshot_session and restore_session. */
  public boolean movesSessions() {
    return sessionHooks.contains("snapshot_session") && sessionHooks.contains("restore_session");
  }

  public boolean speaks(long version) {
    return protocols.contains(version);
  }

  /** The most calls of one tool a worker is given at once, whatever its HELLO says. */
  public static final int MAX_CONCURRENCY = 1024;

  private static ToolInfo tool(Map<?, ?> tool) {
    List<ToolParameter> parameters = new ArrayList<>();
    if (tool.get("parameters") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> p) {
          parameters.add(new ToolParameter(
              text(p.get("name")),
              kind(text(p.get("kind"))),
              Boolean.TRUE.equals(p.get("required")),
              p.containsKey("default_repr"),
              p.get("default"),
              text(p.get("default_repr")),
              text(p.get("annotation"))));
        }
      }
    }
    return new ToolInfo(text(tool.get("name")), text(tool.get("doc")), parameters, Boolean.TRUE.equals(tool.get("stream")),
        concurrency(tool.get("concurrency")));
  }

  /**
   * A tool's concurrency: 1 when absent (an older runtime) or not a whole number from 1 to
   * {@link #MAX_CONCURRENCY}, which it is capped at.
   */
  private static int concurrency(Object value) {
    if (value instanceof Long || value instanceof Integer) {
      long n = ((Number) value).longValue();
      return n < 1 ? 1 : (int) Math.min(n, MAX_CONCURRENCY);
    }
    return 1;
  }

  private static ToolParameter.Kind kind(String kind) {
    try {
      return ToolParameter.Kind.valueOf(kind == null ? "" : kind.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return ToolParameter.Kind.POSITIONAL_OR_KEYWORD;
    }
  }

  private static String text(Object value) {
    return value == null ? null : value.toString();
  }
}
