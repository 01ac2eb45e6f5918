package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code snakepit completion}: the script covers the real command tree, and bash completes with it. */
@ExtendWith(NoLeftoverProcesses.class)
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CompletionCommandTest {
  private static final long BASH_LIMIT_SECONDS = 20;

  @TempDir
  Path dir;

  private static String run(String... args) {
    Captured captured = new Captured();
    int status = new Main().run(List.of(args), captured.terminal);
    assertThat(status).as(captured.err()).isZero();
    return captured.out();
  }

  /** The commands {@code snakepit help} lists: a name two spaces in, then its description. */
  private static List<String> listedCommands() {
    String help = run("help");
    String list = help.substring(help.indexOf("commands:"), help.indexOf("Run 'snakepit help <command>'"));
    return list.lines().map(Pattern.compile("^  (\\S+)\\s{2,}.*")::matcher).filter(Matcher::matches).map(m -> m.group(1)).toList();
  }

  /** What the completion function picocli generated puts in COMPREPLY for {@code words}, the last one being completed. */
  private List<String> complete(String... words) throws IOException, InterruptedException {
    Path script = dir.resolve("snakepit-completion.bash");
    Files.writeString(script, run("completion"));
    Path errors = dir.resolve("bash.err");
    String quoted = String.join(" ", Arrays.stream(words).map(w -> "'" + w + "'").toList());
    String body = "source \"$1\"; COMP_WORDS=(" + quoted + "); COMP_CWORD=" + (words.length - 1) + "; COMP_LINE=\"${COMP_WORDS[*]}\"; "
        + "_complete_snakepit; printf '%s\\n' \"${COMPREPLY[@]}\"";
    Process bash = new ProcessBuilder("bash", "-c", body, "bash", script.toString())
        .redirectError(errors.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    try {
      String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(bash.waitFor(BASH_LIMIT_SECONDS, TimeUnit.SECONDS)).as("bash finished").isTrue();
      assertThat(bash.exitValue()).as(Files.readString(errors)).isZero();
      return out.lines().filter(line -> !line.isEmpty()).toList();
    } finally {
      bash.destroyForcibly();
    }
  }

  @Test
  void theScriptNamesEveryCommandTheHelpLists() {
    String script = run("completion");
    List<String> commands = listedCommands();

    assertThat(commands).contains("demo", "roundtrip", "crash-test", "doctor", "completion", "help", "version");
    Matcher top = Pattern.compile("function _picocli_snakepit\\(\\) \\{.*?local commands=\"([^\"]*)\"", Pattern.DOTALL).matcher(script);
    assertThat(top.find()).as(script).isTrue();
    assertThat(top.group(1).split(" ")).containsExactlyInAnyOrderElementsOf(commands);
    assertThat(script).startsWith("#!/usr/bin/env bash")
        .contains("complete -F _complete_snakepit -o default snakepit")
        .contains("function _picocli_snakepit_doctor()", "'--json'", "'--python'");
  }

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC})
  void bashCompletesACommandFromItsFirstLetters() throws Exception {
    assertThat(complete("snakepit", "de")).containsExactly("demo");
    assertThat(complete("snakepit", "do")).containsExactly("doctor");
  }

  @Test
  @EnabledOnOs({OS.LINUX, OS.MAC})
  void bashCompletesAnOptionOfACommand() throws Exception {
    assertThat(complete("snakepit", "demo", "--wo")).containsExactly("--workers");
    assertThat(complete("snakepit", "doctor", "--")).contains("--json", "--python", "--help");
  }

  @Test
  void itsHelpSaysHowToInstallTheScript() {
    assertThat(run("help", "completion")).contains("source <(./snakepit completion)",
        "./snakepit completion > /etc/bash_completion.d/snakepit", "bashcompinit");
  }
}
