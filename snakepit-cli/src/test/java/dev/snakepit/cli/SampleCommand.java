package dev.snakepit.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A command with one option of each kind the CLI has (a ranged number, a flag, a name), run through
 * {@link Main#commandLine} as {@code snakepit demo}, to test parsing and its messages without running anything.
 */
@Command(name = "demo", description = "a command to parse")
final class SampleCommand implements Callable<Integer> {
  @Option(names = "--workers", paramLabel = "N", defaultValue = "4", description = "workers")
  @Range(min = 1, max = 64)
  int workers;

  @Option(names = "--no-kill", arity = "0", description = "no kill")
  boolean noKill;

  @Option(names = "--python", paramLabel = "CMD", defaultValue = "python3", converter = NonBlank.class, description = "python")
  String python;

  boolean ran;

  @Override
  public Integer call() {
    ran = true;
    return Main.OK;
  }

  /** Parses {@code args} into this command, runs it if they are good, and returns the exit status. */
  int run(Captured captured, String... args) {
    return Main.commandLine(new Top(), captured.terminal, List.of(this)).execute(args);
  }

  @Command(name = "snakepit")
  static final class Top {}
}
