package dev.snakepit.cli;

import picocli.CommandLine.Option;

/** {@code --help} and {@code -h}, which {@link Main} gives every command; picocli answers them before the command runs. */
final class HelpOption {
  @Option(names = {"-h", "--help"}, usageHelp = true, arity = "0", description = "print this command's usage and exit")
  boolean requested;
}
