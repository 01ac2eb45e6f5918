package dev.snakepit.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * A command the {@code ./snakepit} shell launcher handles because it runs Maven ({@code test},
 * {@code chaos}, {@code bench}). It is listed so that help is complete; run here, with whatever
 * arguments, it says where to run it instead.
 */
final class LauncherCommand implements Callable<Integer> {
  /** Taken as they come: the launcher passes them on to Maven or to the harness. */
  @Unmatched
  List<String> arguments;

  @Spec
  CommandSpec spec;

  /** Its name and one line for the command list. */
  static CommandSpec spec(String name, String summary) {
    CommandSpec spec = CommandSpec.forAnnotatedObject(new LauncherCommand()).name(name);
    spec.usageMessage().description(summary);
    return spec;
  }

  @Override
  public Integer call() {
    throw refusal(spec);
  }

  /** The error for running, or asking help on, the launcher's command {@code spec}. */
  static ParameterException refusal(CommandSpec spec) {
    return new ParameterException(spec.commandLine(), "this command runs Maven, so the ./snakepit launcher script handles it; "
        + "run ./snakepit " + spec.name() + " from the project's root");
  }
}
