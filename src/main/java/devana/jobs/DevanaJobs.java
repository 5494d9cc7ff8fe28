package devana.jobs;

import devana.jobs.config.CommandLines;
import devana.jobs.config.JobsConfiguration;
import devana.jobs.config.Locations;
import devana.jobs.traces.Tracing;
import devana.jobs.config.Settings;
import devana.emulator.DevanaEmulator;
import devana.jobs.events.EventsCommand;
import devana.jobs.text.OneLine;
import devana.jobs.http.GuardedHttpServer;
import devana.jobs.http.GuardedHttpServerFactory;
import devana.jobs.wait.WaitCommand;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * Starts devana-jobs: Camel Main with the YAML routes of {@code routes/} and the settings of
 * {@code application.properties} (both from the working directory when present there, else the
 * copies packaged in the jar). {@code emulator} as first argument runs the Devana emulator alone;
 * {@code wait} waits for a target's job to finish (exit code 0 DONE, 1 ERROR, 2 timeout, 3 usage);
 * {@code events} lists, re-publishes and backfills the outbox's events (EventsCommand).
 */
@Command(name = "java -jar devana-jobs.jar", synopsisHeading = "usage: ",
        description = "runs devana-jobs: polls the Devana Jobs API with the settings of application.properties and the"
                + " routes of routes/ (the working directory's when present, else the jar's); stops on SIGTERM or Ctrl-C.",
        commandListHeading = "commands:%n",
        exitCodeListHeading = "exit codes:%n",
        exitCodeList = {DevanaJobs.STOPPED + ":stopped cleanly", DevanaJobs.DID_NOT_START + ":did not start (the reason is printed)"})
public final class DevanaJobs implements Callable<Integer> {

    public static final int STOPPED = 0;
    public static final int DID_NOT_START = 2;

    private static final Logger LOG = LoggerFactory.getLogger(DevanaJobs.class);

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "shows this text")
    private boolean help;

    @Option(names = "--dev", description = "development mode: a route file of the working directory's routes/ that"
            + " is saved again is reloaded (its routes replaced by their new version) without a restart")
    private boolean dev;

    private DevanaJobs() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && "emulator".equals(args[0])) {
            DevanaEmulator.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(commandLine().execute(args));
    }

    /** The program's command line: running the app by default, {@code wait}, and {@code emulator} listed. */
    static CommandLine commandLine() {
        CommandLine line = CommandLines.configure(new CommandLine(new DevanaJobs()), "devana-jobs", DID_NOT_START,
                System.out, System.err);
        line.addSubcommand("wait", WaitCommand.commandLine());
        line.addSubcommand("events", EventsCommand.commandLine());
        // listed for --help: main hands the emulator its arguments before picocli reads any
        CommandLine.Model.CommandSpec emulator = CommandLine.Model.CommandSpec.create();
        emulator.usageMessage().description("runs the Devana emulator alone; 'emulator --help' shows its options");
        line.addSubcommand("emulator", new CommandLine(emulator));
        return line;
    }

    /** Runs the app until SIGTERM or Ctrl-C: {@link #STOPPED}, or {@link #DID_NOT_START} saying why. */
    @Override
    public Integer call() {
        Main main = create();
        if (dev) {
            String refused = Locations.reloadRoutes(main.configure());
            if (refused != null) {
                System.err.println("devana-jobs did not start: " + refused);
                return DID_NOT_START;
            }
        }
        // SIGTERM and Ctrl-C stop the routes gracefully and end with exit code 0; the JVM's default
        // handler would run shutdown hooks and exit with 143 instead.
        Signal.handle(new Signal("TERM"), signal -> main.completed());
        Signal.handle(new Signal("INT"), signal -> main.completed());
        try {
            main.run();
        } catch (Exception e) {
            System.err.println("devana-jobs did not start: " + startupProblem(e));
            LOG.debug("startup failure", e);
            return DID_NOT_START;
        }
        return STOPPED;
    }

    /** The application as it ships, not yet started; tests add override properties before run(). */
    public static Main create() {
        Main main = new Main();
        // before Camel Main reads camel.server.*: it takes its HTTP server factory from the registry
        main.bind("httpServerFactory", new GuardedHttpServerFactory());
        // before Camel Main makes its tracer (camel.opentelemetry2.enabled): the OpenTelemetry it takes from the registry
        main.addMainListener(new Tracing());
        main.configure().addConfiguration(new JobsConfiguration());
        main.setPropertyPlaceholderLocations(Locations.properties());
        main.configure().withRoutesIncludePattern(Locations.routes());
        return main;
    }

    /** What stopped the start, in one line: a refused setting says which and how to fix it. */
    private static String startupProblem(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof Settings.InvalidSettingException || cause instanceof GuardedHttpServer.PortInUseException) {
                return OneLine.printable(cause.getMessage(), 1000);
            }
        }
        return OneLine.of(error);
    }
}
