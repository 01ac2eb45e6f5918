package dev.snakepit.cli;

import dev.snakepit.server.internal.Json;
import dev.snakepit.server.internal.Values;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit call TOOL --arg k=v}: calls one tool, on a running server or a one-off pool, and
 * prints its value as JSON. Exit status 1 when the tool fails, with the error and its traceback.
 */
@Command(name = "call", description = "call a tool on a running server (--server) or a one-off pool; prints the value as JSON",
    footer = {"%nEach --arg value is read as JSON when it is JSON (3, 2.5, true, null, [1, 2], {\"a\": 1}, \"text\"),",
        "else taken as a string: --arg text=hello --arg n=3 --arg 'xs=[1, 2]'. --json gives all of them as one object.",
        "%nexamples:",
        "  snakepit call add --arg a=40 --arg b=2",
        "  snakepit call score --arg text='good day' --adapter my_models.sentiment:SentimentAdapter --path python-src",
        "  snakepit call add --json '{\"a\": 1}' --server http://127.0.0.1:8080"})
final class CallCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "TOOL", description = "the tool's name (snakepit tools lists them)")
  String tool;

  @Option(names = "--arg", paramLabel = "NAME=VALUE", description = "a keyword argument (repeatable)")
  List<String> args = List.of();

  @Option(names = "--json", paramLabel = "OBJECT", description = "every keyword argument as one JSON object")
  String json;

  @Option(names = "--timeout", paramLabel = "DURATION", description = "the call's deadline, such as 500ms, 5s, 2m (default: the pool's)")
  String timeout;

  @Option(names = "--verbose", arity = "0", description = "also print which worker ran the call")
  boolean verbose;

  @Mixin
  TargetOptions target;

  @Spec
  CommandSpec spec;

  private final Terminal terminal;

  CallCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() throws IOException {
    Map<String, Object> arguments = arguments();
    Duration deadline = null;
    if (timeout != null) {
      try {
        deadline = Values.duration(timeout);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--timeout " + e.getMessage());
      }
    }
    Duration bound = deadline;
    java.util.Optional<ToolTarget.Answer> answered = target.use(terminal, "call", on -> on.call(tool, arguments, bound));
    if (answered.isEmpty()) {
      return Main.FAILED;
    }
    ToolTarget.Answer answer = answered.get();
    if (!answer.ok()) {
      ToolErrors.print(answer.body(), terminal.err());
      return Main.FAILED;
    }
    terminal.out().println(Json.pretty(answer.body().get("value")));
    if (verbose) {
      terminal.err().println("ran on worker " + answer.body().get("worker") + " (pid " + answer.body().get("pid") + ")");
    }
    return Main.OK;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> arguments() {
    Map<String, Object> out = new LinkedHashMap<>();
    if (json != null) {
      Object parsed;
      try {
        parsed = Json.read(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "--json is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
      }
      if (!(parsed instanceof Map<?, ?> map)) {
        throw new ParameterException(spec.commandLine(), "--json must be a JSON object of keyword arguments, such as {\"a\": 1}");
      }
      out.putAll((Map<String, Object>) map);
    }
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new ParameterException(spec.commandLine(), "--arg '" + arg + "' is invalid: it must be NAME=VALUE, such as a=1");
      }
      out.put(arg.substring(0, eq), value(arg.substring(eq + 1)));
    }
    return out;
  }

  /** {@code value} as JSON when it parses as JSON, else as the string it is. */
  static Object value(String text) {
    try {
      return Json.read(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      return text;
    }
  }
}
