package dev.snakepit.cli;

import java.util.List;

/** {@code snakepit help [COMMAND]}: the command list, or one command's options. */
final class HelpCommand implements Command {
  private final Main main;

  HelpCommand(Main main) {
    this.main = main;
  }

  @Override
  public String name() {
    return "help";
  }

  @Override
  public String summary() {
    return "show this list, or one command's options";
  }

  @Override
  public List<Option> options() {
    return List.of();
  }

  @Override
  public String operand() {
    return "COMMAND";
  }

  @Override
  public int run(Options options, Terminal terminal) {
    String name = options.operand();
    terminal.out().print(name == null ? main.usage() : main.usage(main.command(name)));
    return OK;
  }
}
