package dev.snakepit;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A tool as its adapter declares it: name, documentation and parameters, taken from the Python
 * signature and docstring when the worker starts.
 *
 * @param name the name to call it by
 * @param doc the docstring (or the description given to {@code @tool}), or {@code null}
 * @param parameters the parameters in declaration order, without {@code self}
 * @param streams whether the tool is a generator (or async generator) function, whose items
 *     {@link Snakepit#stream(Call)} delivers one by one; a plain call gets them as a list
 * @param concurrency how many of its plain calls one worker runs at once ({@code @tool(concurrency=N)}):
 *     1 for a tool run on the worker's main thread one call at a time, N above 1 for an async tool
 *     run on the worker's event loop, or a function run on a pool of N threads
 */
public record ToolInfo(String name, String doc, List<ToolParameter> parameters, boolean streams, int concurrency) {
  public ToolInfo {
    parameters = List.copyOf(Objects.requireNonNull(parameters, "ToolInfo: parameters must not be null; use List.of() for none"));
    if (concurrency < 1) {
      throw new IllegalArgumentException("ToolInfo: concurrency must be at least 1, got " + concurrency);
    }
  }

  /** A tool that runs one call at a time on each worker. */
  public ToolInfo(String name, String doc, List<ToolParameter> parameters, boolean streams) {
    this(name, doc, parameters, streams, 1);
  }

  /** A tool that is not a generator, and runs one call at a time on each worker. */
  public ToolInfo(String name, String doc, List<ToolParameter> parameters) {
    this(name, doc, parameters, false);
  }

  /** The parameter of that name, if there is one. */
  public Optional<ToolParameter> parameter(String parameterName) {
    return parameters.stream().filter(p -> p.name().equals(parameterName)).findFirst();
  }

  /** The Python-style signature, such as {@code add(a: int, b: int = 2)}. */
  public String signature() {
    StringBuilder out = new StringBuilder(name).append('(');
    for (int i = 0; i < parameters.size(); i++) {
      if (i > 0) {
        out.append(", ");
      }
      out.append(parameters.get(i).describe());
    }
    return out.append(')').toString();
  }
}
