package dev.snakepit.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.IParamLabelRenderer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Entry point of the {@code snakepit} command. Each subcommand is a picocli {@code @Command} whose
 * options are fields, declared once with their default, range and help; picocli picks the subcommand
 * named by the first argument, parses the rest into its fields and runs it. Exit status 0 means done,
 * 1 a failed run, 2 a command line that could not be understood ({@link UsageErrors} names the bad
 * input and the rule or the valid choices).
 */
@Command(name = "snakepit",
    description = "Calls Python from the JVM through a supervised pool of Python worker processes.",
    synopsisHeading = "usage: ", customSynopsis = "snakepit <command> [options]", descriptionHeading = "%n",
    commandListHeading = "%ncommands:%n", footerHeading = "%n",
    footer = "Run 'snakepit help <command>' or 'snakepit <command> --help' for its options.")
public final class Main implements Callable<Integer> {
  /** Exit status of a command that did what it was asked. */
  static final int OK = 0;
  /** Exit status of a command that ran but found a problem (a failed check, a broken pool). */
  static final int FAILED = 1;
  /** Exit status for a command line that could not be understood. */
  static final int USAGE = 2;

  @Spec
  CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new Main().run(Arrays.asList(args), Terminal.system()));
  }

  /** Runs the command line {@code args} and returns the exit status. */
  int run(List<String> args, Terminal terminal) {
    // No command, -h and --help all mean help, and what follows is help's, as in "snakepit --help demo".
    List<String> line = new ArrayList<>(args);
    if (line.isEmpty()) {
      line.add("help");
    } else if (line.getFirst().equals("-h") || line.getFirst().equals("--help")) {
      line.set(0, "help");
    }
    CommandLine cli = commandLine(this, terminal, commands(terminal));
    try {
      return cli.execute(line.toArray(String[]::new));
    } finally {
      cli.getOut().flush();
      cli.getErr().flush();
    }
  }

  /** Reached only with nothing to run, such as "snakepit --": the command list. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return OK;
  }

  private static List<Object> commands(Terminal terminal) {
    return List.of(
        new DemoCommand(terminal),
        new ServeCommand(terminal),
        new CallCommand(terminal),
        new ToolsCommand(terminal),
        new RoundTripCommand(terminal),
        new CrashTestCommand(terminal),
        new CrashTargetCommand(terminal),
        LauncherCommand.spec("test", "run the Java and Python test suites (extra arguments go to Maven)"),
        LauncherCommand.spec("chaos",
            "run the chaos suite at full scale, or with --ci its bounded subset (extra arguments go to Maven)"),
        LauncherCommand.spec("bench",
            "run the benchmarks against the floor and gRPC; writes docs/benchmarks/latest.md and the plots"),
        new DoctorCommand(terminal),
        new CompletionCommand(terminal),
        new HelpCommand(),
        new VersionCommand(terminal));
  }

  /**
   * The command line of {@code top} with {@code commands} under it, each given {@code --help}, its
   * ranges and the usage layout, writing to {@code terminal} and reporting bad input through
   * {@link UsageErrors}. An exception a command lets out is printed with its stack trace, exit status 1.
   */
  static CommandLine commandLine(Object top, Terminal terminal, List<Object> commands) {
    CommandLine cli = new CommandLine(top);
    for (Object command : commands) {
      cli.addSubcommand(command);
    }
    for (CommandLine command : cli.getSubcommands().values()) {
      if (command.getCommand() instanceof LauncherCommand) {
        continue; // the launcher's: any argument, --help too, gets the same pointer to ./snakepit
      }
      CommandSpec spec = command.getCommandSpec();
      spec.addMixin("help", CommandSpec.forAnnotatedObject(new HelpOption()));
      RangeConverter.apply(spec);
      String operands = spec.positionalParameters().stream().map(p -> " [" + p.paramLabel() + "]").collect(Collectors.joining());
      spec.usageMessage().sortOptions(false).synopsisHeading("usage: ").customSynopsis(spec.qualifiedName() + " [options]" + operands)
          .descriptionHeading("%n").optionListHeading("%noptions:%n").parameterListHeading("%narguments:%n");
    }
    // Plain text on a terminal too, as the rest of the output is.
    return cli.setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF))
        .setHelpFactory(Main::help)
        .setOut(new PrintWriter(terminal.out(), true))
        .setErr(new PrintWriter(terminal.err(), true))
        .setParameterExceptionHandler(new UsageErrors());
  }

  /** picocli's usage help, with options written {@code --workers N} as people type them; {@code --workers=N} parses too. */
  private static Help help(CommandSpec spec, Help.ColorScheme colors) {
    return new Help(spec, colors) {
      @Override
      public IParamLabelRenderer parameterLabelRenderer() {
        IParamLabelRenderer picocli = super.parameterLabelRenderer();
        return new IParamLabelRenderer() {
          @Override
          public Help.Ansi.Text renderParameterLabel(ArgSpec arg, Help.Ansi ansi, List<Help.Ansi.IStyle> styles) {
            if (!arg.isOption()) {
              return picocli.renderParameterLabel(arg, ansi, styles);
            }
            return ansi.new Text(arg.arity().max() == 0 ? "" : " " + arg.paramLabel());
          }

          @Override
          public String separator() {
            return " ";
          }
        };
      }
    };
  }
}
