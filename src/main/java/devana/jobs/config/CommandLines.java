package devana.jobs.config;

import devana.jobs.text.OneLine;
import java.io.PrintStream;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * How every command of the app reads its arguments with picocli: the last of a repeated option wins, an
 * option's value is never another option, {@code @file} arguments are not expanded, the usage text is
 * {@value #USAGE_WIDTH} columns wide (as wide as the wait synopsis). And how a mistake reads:
 * {@code <command>: <the reason>}, then the command's usage, on stderr, and the command's exit code for it.
 */
public final class CommandLines {

    static final int USAGE_WIDTH = 110;

    private CommandLines() {
    }

    /** {@code line} reading its arguments the app's way, printing to {@code out} and {@code err}. */
    public static CommandLine configure(CommandLine line, String name, int usageExitCode, PrintStream out, PrintStream err) {
        return line.setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .setOverwrittenOptionsAllowed(true)
                .setUnmatchedOptionsAllowedAsOptionParameters(false)
                .setExpandAtFiles(false)
                .setUsageHelpWidth(USAGE_WIDTH)
                .setParameterExceptionHandler(new UsageError(name, usageExitCode));
    }

    /** picocli executes from the top command: a subcommand's mistake goes to the subcommand's own handler. */
    private record UsageError(String name, int exitCode) implements CommandLine.IParameterExceptionHandler {

        @Override
        public int handleParseException(CommandLine.ParameterException e, String[] args) throws Exception {
            CommandLine line = e.getCommandLine();
            if (line.getParameterExceptionHandler() != this) {
                return line.getParameterExceptionHandler().handleParseException(e, args);
            }
            line.getErr().println(name + ": " + reason(e));
            line.usage(line.getErr());
            return exitCode;
        }

        /** picocli's reasons in the words the hand-written parsers used; a converter of ours says what a value must be. */
        private static String reason(CommandLine.ParameterException e) {
            if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
                return "unknown option " + OneLine.printable(unmatched.getUnmatched().get(0), 80);
            }
            if (e instanceof CommandLine.MissingParameterException missing && !missing.getMissing().isEmpty()
                    && missing.getMissing().get(0) instanceof CommandLine.Model.OptionSpec option) {
                return option.longestName() + " needs a value";
            }
            if (e.getCause() instanceof CommandLine.TypeConversionException conversion
                    && e.getArgSpec() instanceof CommandLine.Model.OptionSpec option) {
                // ours say what a value must be ("a duration like 90s"); picocli's own say what it was ("'x' is not an int")
                String message = String.valueOf(conversion.getMessage());
                return option.longestName() + (message.startsWith("'") ? ": " : " must be ") + OneLine.printable(message, 200);
            }
            return OneLine.printable(e.getMessage(), 200);
        }
    }
}
