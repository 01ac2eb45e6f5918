package dev.snakepit.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code snakepit completion}: a bash completion script for the whole command tree. picocli writes it
 * from the command line {@link Main} built, the one that runs, so every command and option in it is
 * one that parses, and a command added later is in it without a change here.
 */
@Command(name = "completion", description = "print a bash completion script for snakepit's commands and options",
    footerHeading = "%ninstall:%n", footer = {
        "  this shell:   source <(./snakepit completion)",
        "  every shell:  ./snakepit completion > /etc/bash_completion.d/snakepit",
        "  zsh:          the same source line; the script turns on zsh's bashcompinit"})
final class CompletionCommand implements Callable<Integer> {
  /** The command the script completes; bash also finds it for ./snakepit, by the name after the last slash. */
  static final String NAME = "snakepit";

  @Spec
  CommandSpec spec;

  private final Terminal terminal;

  CompletionCommand(Terminal terminal) {
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    terminal.out().print(AutoComplete.bash(NAME, spec.root().commandLine()));
    return Main.OK;
  }
}
