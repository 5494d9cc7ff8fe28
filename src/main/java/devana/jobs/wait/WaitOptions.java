package devana.jobs.wait;

import devana.jobs.config.CommandLines;
import devana.jobs.config.DurationText;
import devana.jobs.contract.DevanaId;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.JobType;
import devana.jobs.text.OneLine;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line of {@code wait --target <id> [--type EXTRACTION] [--timeout 300s] [--interval 2s]}, checked. */
@Command(name = "wait", synopsisHeading = "usage: ", sortOptions = false,
        customSynopsis = "java -jar devana-jobs.jar wait --target <id> [--type EXTRACTION] [--timeout 300s] [--interval 2s]",
        description = "waits for the newest job of a target (a document, a folder ...) to finish, like the vendor page's"
                + " check_job_status and wait_for_job; talks to DEVANA_BASE_URL with DEVANA_API_KEY.",
        exitCodeListHeading = "exit codes:%n",
        exitCodeList = {WaitCommand.DONE + ":DONE", WaitCommand.FAILED + ":ERROR (the job's error is printed)",
            WaitCommand.TIMED_OUT + ":timed out", WaitCommand.USAGE + ":usage or authentication error"})
public final class WaitOptions implements Callable<Integer> {

    public static final Duration MIN_INTERVAL = Duration.ofSeconds(2);

    private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");

    @Option(names = "--target", paramLabel = "<id>", description = "the Devana id of the target whose job to wait for")
    private String target;

    @Option(names = "--type", paramLabel = "<type>", completionCandidates = KnownTypes.class,
            description = "the JOB type to wait for (${COMPLETION-CANDIDATES}), matched on our side: the API's own"
                    + " 'type' parameter filters by STATUS")
    private String type;

    @Option(names = "--timeout", paramLabel = "<duration>", defaultValue = "300s", converter = DurationText.class,
            description = "give up after this long: 90s, 5m, 1h or plain seconds (default ${DEFAULT-VALUE})")
    private Duration timeout;

    @Option(names = "--interval", paramLabel = "<duration>", defaultValue = "2s", converter = DurationText.class,
            description = "time between two polls, at least 2s (the API's rule; default ${DEFAULT-VALUE})")
    private Duration interval;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "shows this text")
    private boolean help;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private final ToIntFunction<WaitOptions> command;

    private WaitOptions(ToIntFunction<WaitOptions> command) {
        this.command = command;
    }

    /** The wait command line: once its options are read and checked, {@code command} runs with them. */
    static CommandLine commandLine(ToIntFunction<WaitOptions> command, PrintStream out, PrintStream err) {
        return CommandLines.configure(new CommandLine(new WaitOptions(command)), "wait", WaitCommand.USAGE, out, err);
    }

    @Override
    public Integer call() {
        check();
        return command.applyAsInt(this);
    }

    private void check() {
        if (target == null) {
            throw usage("--target <id> is required");
        }
        if (!DevanaId.isValid(target)) {
            throw usage("--target must be a Devana id (letters, digits, _ and -, at most 128), got '"
                    + OneLine.printable(target, 140) + "'");
        }
        if (type != null && JobStatus.isStatusName(type)) {
            throw usage("--type " + type + " is a status: --type names the job type to wait for "
                    + "(EXTRACTION, EMBEDDING, ...); the command waits until that job is DONE or ERROR");
        }
        if (type != null && !TYPE.matcher(type).matches()) {
            throw usage("--type must be a job type such as EXTRACTION or EMBEDDING, got '"
                    + OneLine.printable(type, 80) + "'");
        }
        if (timeout.isZero()) {
            throw usage("--timeout must be more than 0");
        }
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw usage("--interval must be at least 2s: the Devana API asks clients not to poll more often");
        }
    }

    /** A command line the wait command cannot run: picocli prints it with the usage, exit code 3. */
    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    public String target() {
        return target;
    }

    /** The job type to follow, or null for any. */
    public String type() {
        return type;
    }

    public Duration timeout() {
        return timeout;
    }

    public Duration interval() {
        return interval;
    }

    /** The types the help lists, from the one list of them. */
    static final class KnownTypes implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return JobType.KNOWN.iterator();
        }
    }
}
