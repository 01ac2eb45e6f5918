package dev.snakepit.cli;

import java.util.List;

/** One subcommand of {@code snakepit}. */
interface Command {
  /** Exit status of a command that did what it was asked. */
  int OK = 0;
  /** Exit status of a command that ran but found a problem (a failed check, a broken pool). */
  int FAILED = 1;
  /** Exit status for a command line that could not be understood. */
  int USAGE = 2;

  /** The word that selects the command. */
  String name();

  /** One line for the command list. */
  String summary();

  /** The options the command accepts, {@code --help} excluded. */
  List<Option> options();

  /** Whether the command is left out of the command list: a helper other commands run, not for people. */
  default boolean hidden() {
    return false;
  }

  /** The name of the one positional argument the command accepts, such as {@code COMMAND}, or {@code null}. */
  default String operand() {
    return null;
  }

  /**
   * Runs the command with its parsed options.
   *
   * @return the exit status
   * @throws UsageException if an option's value is unacceptable
   */
  int run(Options options, Terminal terminal);
}
