package dev.snakepit.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.MaxValuesExceededException;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Reports a command line that could not be understood, exit status 2: one line naming the command, the
 * bad input and the rule or the valid choices ({@code snakepit demo: --workers '0' is out of range; it
 * must be a whole number from 1 to 64}), and one saying where the usage is. picocli finds the
 * problem; this class words it, the same way for every command. A command's own checks throw a
 * {@link ParameterException} with the words after the command's name.
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {
  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(command.getCommandSpec().qualifiedName() + ": " + describe(e, args));
    err.println("Run '" + helpHint(command) + "' for usage.");
    err.flush();
    return Main.USAGE;
  }

  /** The message for the top level of {@code snakepit}, naming the commands a user may run. */
  static String unknownCommand(CommandLine top, String name) {
    List<String> names = top.getSubcommands().values().stream()
        .filter(c -> !c.getCommandSpec().usageMessage().hidden())
        .map(CommandLine::getCommandName)
        .toList();
    return "unknown command '" + name + "'; valid commands: " + String.join(", ", names);
  }

  private static String describe(ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    CommandSpec spec = command.getCommandSpec();
    if (e instanceof UnmatchedArgumentException unmatched) {
      String arg = unmatched.getUnmatched().getFirst();
      if (command.getParent() == null) {
        return unknownCommand(command, arg);
      }
      if (arg.startsWith("--") && arg.length() > 2) {
        return "unknown option '" + arg.split("=", 2)[0] + "'; valid options: " + synopses(spec);
      }
      return "unexpected argument '" + arg + "'; " + (spec.positionalParameters().isEmpty() ? "it takes only options: "
          : "it takes one " + spec.positionalParameters().getFirst().paramLabel() + " and the options: ") + synopses(spec);
    }
    if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()
        && missing.getMissing().getFirst() instanceof OptionSpec option) {
      return "option " + option.longestName() + " needs a value (" + synopsis(option) + ")";
    }
    if (e instanceof OverwrittenOptionException twice && twice.getOverwritten() instanceof OptionSpec option) {
      return "option " + option.longestName() + " is given twice";
    }
    if (e instanceof MaxValuesExceededException) {
      // A value attached to a flag; picocli's exception does not say which argument, so find it.
      String given = Arrays.stream(args).filter(arg -> isFlag(spec, arg.split("=", 2)[0]) && arg.contains("=")).findFirst().orElse(null);
      if (given != null) {
        return "option " + spec.findOption(given.split("=", 2)[0]).longestName() + " takes no value, got '" + given + "'";
      }
    }
    if (e.getCause() instanceof BadValue bad && e.getArgSpec() instanceof OptionSpec option) {
      return bad.describe(option.longestName(), e.getValue());
    }
    return e.getMessage();
  }

  private static boolean isFlag(CommandSpec spec, String name) {
    OptionSpec option = spec.findOption(name);
    return option != null && option.arity().max() == 0;
  }

  /** {@code snakepit help demo}, or the overall help for the top level and for the launcher's commands. */
  private static String helpHint(CommandLine command) {
    boolean ownHelp = command.getParent() != null && !(command.getCommand() instanceof LauncherCommand);
    return ownHelp ? "snakepit help " + command.getCommandName() : "snakepit help";
  }

  /** The options of {@code spec} as usage writes them: {@code --workers N, --no-kill, --help}. */
  private static String synopses(CommandSpec spec) {
    return spec.options().stream().filter(o -> !o.hidden()).map(UsageErrors::synopsis).collect(Collectors.joining(", "));
  }

  private static String synopsis(OptionSpec option) {
    return option.longestName() + (option.arity().max() == 0 ? "" : " " + option.paramLabel());
  }

  /** A value a converter refused, worded with the option's name once picocli says which option it was. */
  static final class BadValue extends TypeConversionException {
    private static final long serialVersionUID = 1L;

    private final boolean quotesValue;

    private BadValue(String problem, boolean quotesValue) {
      super(problem);
      this.quotesValue = quotesValue;
    }

    /** Worded as {@code --workers 'many' <problem>}. */
    static BadValue of(String problem) {
      return new BadValue(problem, true);
    }

    /** Worded as {@code option --python <problem>}, for a value there is nothing to quote of. */
    static BadValue ofOption(String problem) {
      return new BadValue(problem, false);
    }

    String describe(String option, String value) {
      return quotesValue ? option + " '" + value + "' " + getMessage() : "option " + option + " " + getMessage();
    }
  }
}
