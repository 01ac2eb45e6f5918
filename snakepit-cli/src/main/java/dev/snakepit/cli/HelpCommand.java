package dev.snakepit.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code snakepit help [COMMAND]}: the command list, or one command's options. */
@Command(name = "help", description = "show this list, or one command's options")
final class HelpCommand implements Callable<Integer> {
  @Parameters(arity = "0..1", paramLabel = "COMMAND", description = "the command whose options to show")
  String command;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    CommandLine top = spec.parent().commandLine();
    if (command == null) {
      top.usage(top.getOut());
      return Main.OK;
    }
    CommandLine named = top.getSubcommands().get(command);
    if (named == null) {
      throw new ParameterException(top, UsageErrors.unknownCommand(top, command));
    }
    if (named.getCommand() instanceof LauncherCommand) {
      throw LauncherCommand.refusal(named.getCommandSpec());
    }
    named.usage(named.getOut());
    return Main.OK;
  }
}
