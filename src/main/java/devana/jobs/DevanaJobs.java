package devana.jobs;

import devana.jobs.config.JobsConfiguration;
import devana.jobs.config.Locations;
import devana.jobs.config.Settings;
import devana.emulator.DevanaEmulator;
import devana.jobs.text.OneLine;
import devana.jobs.http.GuardedHttpServer;
import devana.jobs.http.GuardedHttpServerFactory;
import devana.jobs.wait.WaitCommand;
import java.util.Arrays;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Starts devana-jobs: Camel Main with the YAML routes of {@code routes/} and the settings of
 * {@code application.properties} (both from the working directory when present there, else the
 * copies packaged in the jar). {@code emulator} as first argument runs the Devana emulator alone;
 * {@code wait} waits for a target's job to finish (exit code 0 DONE, 1 ERROR, 2 timeout, 3 usage).
 */
public final class DevanaJobs {

    private static final Logger LOG = LoggerFactory.getLogger(DevanaJobs.class);

    private DevanaJobs() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && "emulator".equals(args[0])) {
            DevanaEmulator.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && "wait".equals(args[0])) {
            WaitCommand.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Main main = create();
        // SIGTERM and Ctrl-C stop the routes gracefully and end with exit code 0; the JVM's default
        // handler would run shutdown hooks and exit with 143 instead.
        Signal.handle(new Signal("TERM"), signal -> main.completed());
        Signal.handle(new Signal("INT"), signal -> main.completed());
        try {
            main.run();
        } catch (Exception e) {
            System.err.println("devana-jobs did not start: " + startupProblem(e));
            LOG.debug("startup failure", e);
            System.exit(2);
        }
        System.exit(0);
    }

    /** The application as it ships, not yet started; tests add override properties before run(). */
    public static Main create() {
        Main main = new Main();
        // before Camel Main reads camel.server.*: it takes its HTTP server factory from the registry
        main.bind("httpServerFactory", new GuardedHttpServerFactory());
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
