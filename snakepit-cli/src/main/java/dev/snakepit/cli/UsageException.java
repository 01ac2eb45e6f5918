package dev.snakepit.cli;

/**
 * The command line asks for something the CLI cannot do: an unknown command or option, a missing or
 * malformed value. {@link Main} prints the message and exits with status 2. The message names the bad
 * input and lists what would have been valid.
 */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The command whose usage was broken, or {@code null} when no command was recognized. */
  private final String command;

  UsageException(String command, String message) {
    super(message);
    this.command = command;
  }

  /** What to run for help on the broken command line. */
  String helpHint() {
    return command == null ? "snakepit help" : "snakepit help " + command;
  }
}
