package dev.snakepit.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --python CMD}, the interpreter of the commands that start Python; mixed into each of them. */
final class PythonOption {
  @Option(names = "--python", paramLabel = "CMD", converter = NonBlank.class,
      description = "the Python interpreter, 3.9 or newer (default $SNAKEPIT_PYTHON or python3)")
  private String given;

  /** The command this option is mixed into, to name it in an error. */
  @Spec(Spec.Target.MIXEE)
  private CommandSpec mixee;

  /** The interpreter named, else the default, unresolved: {@code $SNAKEPIT_PYTHON}, else {@code python3}. */
  String command() {
    return given != null ? given : PythonCommand.defaultCommand();
  }

  /**
   * The interpreter, resolved to its own executable.
   *
   * @throws ParameterException naming the interpreter and why it cannot serve
   */
  PythonCommand resolve() {
    try {
      return PythonCommand.resolve(command());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(mixee.commandLine(), "--python " + e.getMessage());
    }
  }
}
