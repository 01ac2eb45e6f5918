package dev.snakepit.cli;

import dev.snakepit.server.internal.Json;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code snakepit tools}: the tools of a running server's pool or of an adapter, with their signatures and docs. */
@Command(name = "tools", description = "list the tools of a running server's pool (--server) or of an adapter, with signatures and docs")
final class ToolsCommand implements Callable<Integer> {
  @Option(names = "--json", arity = "0", description = "print them as JSON, as the server's API does")
  boolean asJson;

  @Mixin
  TargetOptions target;

  private final Terminal terminal;

  ToolsCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() throws IOException {
    java.util.Optional<List<Map<String, Object>>> listed = target.use(terminal, "tools", ToolTarget::tools);
    if (listed.isEmpty()) {
      return Main.FAILED;
    }
    List<Map<String, Object>> tools = listed.get();
    if (asJson) {
      terminal.out().println(Json.pretty(tools));
      return Main.OK;
    }
    TextTable table = new TextTable(List.of("tool", "signature", "doc"));
    for (Map<String, Object> tool : tools) {
      String doc = tool.get("doc") == null ? "" : String.valueOf(tool.get("doc")).strip().lines().findFirst().orElse("");
      table.row(String.valueOf(tool.get("name")), String.valueOf(tool.get("signature"))
          + (Boolean.TRUE.equals(tool.get("streams")) ? "  (streams)" : ""), doc);
    }
    terminal.out().print(table.render(0));
    return Main.OK;
  }
}
