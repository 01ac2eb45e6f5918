package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code snakepit call} and {@code snakepit tools} on one-off pools of real workers, and their bad input. */
@EnabledOnOs(OS.LINUX)
@ExtendWith(NoLeftoverProcesses.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CallCommandTest {
  private final Captured captured = new Captured();

  @TempDir
  Path dir;

  private int run(String... args) {
    List<String> line = new java.util.ArrayList<>(List.of(args));
    line.addAll(List.of("--python", TestPython.command()));
    return new Main().run(line, captured.terminal);
  }

  @Test
  void callsAToolOfAOneOffPoolAndPrintsItsValueAsJson() {
    assertThat(run("call", "echo", "--arg", "value={\"xs\": [1, 2.5, true, null], \"s\": \"x\"}")).as(captured.err()).isZero();
    assertThat(captured.out()).contains("\"xs\" : [ 1, 2.5, true, null ]").contains("\"s\" : \"x\"");
    assertThat(captured.err()).contains("100%  1/1  workers ready");
  }

  @Test
  void anArgumentThatIsNotJsonIsAString() {
    assertThat(CallCommand.value("hello world")).isEqualTo("hello world");
    assertThat(CallCommand.value("3")).isEqualTo(3);
    assertThat(CallCommand.value("\"3\"")).isEqualTo("3");
    assertThat(CallCommand.value("[1, 2]")).isEqualTo(List.of(1, 2));
    assertThat(CallCommand.value("{\"a\": 1}")).isEqualTo(Map.of("a", 1));
  }

  @Test
  void aFailingToolExitsWith1AndPrintsItsTraceback() {
    assertThat(run("call", "fail", "--json", "{\"message\": \"no good\"}")).isEqualTo(Main.FAILED);
    assertThat(captured.err()).contains("call failed (PYTHON_EXCEPTION)").contains("no good").contains("Traceback");
  }

  @Test
  void anAdapterOfOnesOwnFromAPathAndAConfiguredPool() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src/mine"));
    Files.writeString(src.resolve("__init__.py"), "");
    Files.writeString(src.resolve("tools.py"), """
        from snakepit import Adapter, tool

        class Mine(Adapter):
            @tool
            def shout(self, text: str) -> str:
                \"\"\"Upper case.\"\"\"
                return text.upper()
        """);
    assertThat(run("call", "shout", "--arg", "text=hey", "--adapter", "mine.tools:Mine", "--path", dir.resolve("src").toString()))
        .as(captured.err()).isZero();
    assertThat(captured.out().strip()).isEqualTo("\"HEY\"");

    Path config = Files.writeString(dir.resolve("snakepit.yml"), """
        snakepit.pools:
          a: {adapter: "mine.tools:Mine", size: 3, python-path: [%s]}
          b: {adapter: "snakepit.examples.demo:DemoAdapter"}
        """.formatted(dir.resolve("src")));
    Captured tools = new Captured();
    assertThat(new Main().run(List.of("tools", "--config", config.toString(), "--pool", "a", "--python", TestPython.command()),
        tools.terminal)).as(tools.err()).isZero();
    assertThat(tools.out()).contains("shout(text: str)").contains("Upper case.");
  }

  @Test
  void aPoolThatMakesItsEnvironmentShowsEachStep() throws Exception {
    Path requirements = Files.writeString(dir.resolve("requirements.txt"), "# nothing to install\n");
    Path wheels = Files.createDirectories(dir.resolve("wheels"));
    Path config = Files.writeString(dir.resolve("snakepit.yml"), """
        snakepit.pools.env:
          adapter: snakepit.examples.demo:DemoAdapter
          requirements: %s
          wheel-directory: %s
        """.formatted(requirements, wheels));
    assertThat(run("call", "add", "--arg", "a=1", "--config", config.toString())).as(captured.err()).isZero();
    assertThat(captured.out().strip()).isEqualTo("3");
    String err = captured.err();
    assertThat(err).contains("environment of pool 'env': creating with Python").contains("environment of pool 'env': ready");
    java.util.regex.Matcher made = java.util.regex.Pattern.compile("creating with Python .* in (\\S+)").matcher(err);
    assertThat(made.find()).isTrue();
    Path environment = Path.of(made.group(1));
    try (java.util.stream.Stream<Path> all = Files.walk(environment)) {
      for (Path path : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
    Files.deleteIfExists(environment.resolveSibling(environment.getFileName() + ".lock"));
  }

  @Test
  void badInputIsRefusedWithTheRule() throws Exception {
    assertThat(run("call", "add", "--arg", "novalue")).isEqualTo(Main.USAGE);
    assertThat(captured.err()).contains("--arg 'novalue' is invalid: it must be NAME=VALUE");
    Captured json = new Captured();
    assertThat(new Main().run(List.of("call", "add", "--json", "[1]"), json.terminal)).isEqualTo(Main.USAGE);
    assertThat(json.err()).contains("--json must be a JSON object");
    Captured timeout = new Captured();
    assertThat(new Main().run(List.of("call", "add", "--timeout", "soon"), timeout.terminal)).isEqualTo(Main.USAGE);
    assertThat(timeout.err()).contains("--timeout 'soon' is invalid");
    Path config = Files.writeString(dir.resolve("two.yml"),
        "snakepit.pools.a.adapter: x.y:Z\nsnakepit.pools.b.adapter: x.y:Z\n");
    Captured which = new Captured();
    assertThat(new Main().run(List.of("tools", "--config", config.toString()), which.terminal)).isEqualTo(Main.USAGE);
    assertThat(which.err()).contains("--pool is needed").contains("has the pools a, b");
    Captured nowhere = new Captured();
    assertThat(new Main().run(List.of("tools", "--server", "http://127.0.0.1:1"), nowhere.terminal)).isEqualTo(Main.FAILED);
    assertThat(nowhere.err()).contains("tools: cannot reach the server at http://127.0.0.1:1/");
  }
}
