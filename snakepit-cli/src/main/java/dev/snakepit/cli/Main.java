package dev.snakepit.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point of the {@code snakepit} command: picks the subcommand named by the first argument, parses
 * its options and runs it. Exit status 0 means done, 1 a failed run, 2 a command line that could not be
 * understood (the message names the bad input and lists the valid choices).
 */
public final class Main {
  /** Handled by the {@code ./snakepit} shell launcher, which runs Maven; listed so that help is complete. */
  static final Map<String, String> LAUNCHER_COMMANDS = launcherCommands();

  private final Map<String, Command> commands = new LinkedHashMap<>();

  Main() {
    add(new DemoCommand());
    add(new RoundTripCommand());
    add(new CrashTestCommand());
    add(new CrashTargetCommand());
    add(new HelpCommand(this));
    add(new VersionCommand());
  }

  public static void main(String[] args) {
    System.exit(new Main().run(Arrays.asList(args), Terminal.system()));
  }

  /** Runs the command line {@code args} and returns the exit status. */
  int run(List<String> args, Terminal terminal) {
    String name = args.isEmpty() || args.get(0).equals("-h") || args.get(0).equals("--help") ? "help" : args.get(0);
    List<String> rest = args.isEmpty() ? List.of() : args.subList(1, args.size());
    try {
      Command command = command(name);
      Options options = Options.parse(command.name(), command.options(), command.operand(), rest);
      if (options.has("help")) {
        terminal.out().print(usage(command));
        return Command.OK;
      }
      return command.run(options, terminal);
    } catch (UsageException e) {
      terminal.err().println(e.getMessage());
      terminal.err().println("Run '" + e.helpHint() + "' for usage.");
      return Command.USAGE;
    }
  }

  /**
   * The command of that name.
   *
   * @throws UsageException naming the valid commands when there is none
   */
  Command command(String name) {
    if (LAUNCHER_COMMANDS.containsKey(name)) {
      throw new UsageException(null, "snakepit " + name + ": this command runs Maven, so the ./snakepit launcher script handles it; "
          + "run ./snakepit " + name + " from the project's root");
    }
    Command command = commands.get(name);
    if (command == null) {
      throw new UsageException(null, "snakepit: unknown command '" + name + "'; valid commands: " + String.join(", ", names()));
    }
    return command;
  }

  /** The names of all commands, the launcher's included, as help lists them. */
  List<String> names() {
    List<String> names = new ArrayList<>(commands.values().stream().filter(c -> !c.hidden()).map(Command::name).toList());
    names.addAll(names.indexOf("help"), LAUNCHER_COMMANDS.keySet());
    return names;
  }

  /** The overall usage text. */
  String usage() {
    StringBuilder out = new StringBuilder()
        .append("usage: snakepit <command> [options]\n\n")
        .append("Calls Python from the JVM through a supervised pool of Python worker processes.\n\n")
        .append("commands:\n");
    for (Command c : commands.values()) {
      if (c.hidden()) {
        continue;
      }
      if (c.name().equals("help")) {
        LAUNCHER_COMMANDS.forEach((name, summary) -> out.append(String.format("  %-10s %s%n", name, summary)));
      }
      out.append(String.format("  %-10s %s%n", c.name(), c.summary()));
    }
    return out.append("\nRun 'snakepit help <command>' or 'snakepit <command> --help' for its options.\n").toString();
  }

  /** The usage text of one command. */
  String usage(Command command) {
    String operand = command.operand() == null ? "" : " [" + command.operand() + "]";
    return "usage: snakepit " + command.name() + " [options]" + operand + "\n\n" + command.summary() + "\n\noptions:\n"
        + Options.parse(command.name(), command.options(), null, List.of()).describe();
  }

  private static Map<String, String> launcherCommands() {
    Map<String, String> launcher = new LinkedHashMap<>();
    launcher.put("test", "run the Java and Python test suites (extra arguments go to Maven)");
    launcher.put("chaos", "run the chaos suite at full scale, or with --ci its bounded subset (extra arguments go to Maven)");
    launcher.put("bench", "run the benchmarks against the floor and gRPC; writes docs/benchmarks/latest.md and the plots");
    return Collections.unmodifiableMap(launcher);
  }

  private void add(Command command) {
    commands.put(command.name(), command);
  }
}
