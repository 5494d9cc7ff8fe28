package devana.jobs.events;

import com.zaxxer.hikari.HikariDataSource;
import devana.jobs.config.AccountSettings;
import devana.jobs.config.CommandLines;
import devana.jobs.config.JobsConfiguration;
import devana.jobs.config.Locations;
import devana.jobs.config.Settings;
import devana.jobs.text.OneLine;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code events parked | republish | backfill}: what an operator does with the outbox (jobs.db.*, as the app reads
 * it): on PostgreSQL whether the app runs or not, on the embedded H2 (one process's file) with the app stopped. A
 * running publisher (any instance's) sends what was put back in line at its next look. The commands change rows of job_events only (ParkedEvents), never send anything themselves.
 */
@Command(name = "events", synopsisHeading = "usage: ", commandListHeading = "commands:%n",
        description = "the outbox's events in the database of jobs.db.*: lists those the bus refused for good (parked),"
                + " puts them back in line, or puts back every event of a time range for a new consumer (backfill).",
        exitCodeListHeading = "exit codes:%n",
        exitCodeList = {EventsCommand.OK + ":done", EventsCommand.FAILED + ":the database did not answer (the reason is printed)",
            EventsCommand.USAGE + ":usage error"})
public final class EventsCommand implements Callable<Integer> {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    /** The most --id one republish takes (each is a bind parameter). */
    private static final int MAX_IDS = 1000;
    /** The instants a backfill takes: what both databases keep in a TIMESTAMP WITH TIME ZONE. */
    private static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    private static final Pattern EVENT_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "shows this text")
    private boolean help;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private final Context context;

    private EventsCommand(Context context) {
        this.context = context;
    }

    /** The command as the shipped program runs it: the working directory's settings, the process's streams. */
    public static CommandLine commandLine() {
        // the pool's and the migrations' INFO lines would bury the answer; failures are said in the command's words
        Configurator.setLevel("com.zaxxer.hikari", Level.WARN);
        Configurator.setLevel("org.flywaydb", Level.WARN);
        Configurator.setLevel("org.apache.camel", Level.WARN);
        return commandLine(new Context(Locations.properties(), Map.of(), System.out, System.err, Clock.systemUTC()));
    }

    /** Runs the command; {@code overrides} take precedence over the properties file and the environment. */
    public static int run(String[] args, String propertiesLocation, Map<String, String> overrides, PrintStream out,
                          PrintStream err, Clock clock) {
        return commandLine(new Context(propertiesLocation, overrides, out, err, clock)).execute(args);
    }

    private static CommandLine commandLine(Context context) {
        CommandLine line = CommandLines.configure(new CommandLine(new EventsCommand(context)), "events", USAGE,
                context.out, context.err);
        line.addSubcommand("parked", CommandLines.configure(new CommandLine(new Parked(context)), "events parked", USAGE,
                context.out, context.err));
        line.addSubcommand("republish", CommandLines.configure(new CommandLine(new Republish(context)), "events republish",
                USAGE, context.out, context.err));
        line.addSubcommand("backfill", CommandLines.configure(new CommandLine(new Backfill(context)), "events backfill",
                USAGE, context.out, context.err));
        return line;
    }

    @Override
    public Integer call() {
        context.err.println("events: say which: parked, republish or backfill");
        spec.commandLine().usage(context.err);
        return USAGE;
    }

    /** Where a command reads its settings and writes its answers. */
    private record Context(String propertiesLocation, Map<String, String> overrides, PrintStream out, PrintStream err,
                           Clock clock) {

        /** The settings as the app reads them (the file, the environment, the overrides). */
        Settings settings() {
            CamelContext camel = new DefaultCamelContext();
            try {
                return Settings.read(camel, propertiesLocation, overrides);
            } finally {
                camel.stop();
            }
        }

        /**
         * Runs {@code work} on the database of jobs.db.*, for the account asked for ({@code asked}: one of
         * devana.accounts, or null for all): OK, USAGE saying why the settings or the account were refused, or FAILED
         * saying why the database did not answer.
         */
        int inDatabase(String command, String asked, Work work) {
            Settings settings;
            try {
                settings = settings();
            } catch (Settings.InvalidSettingException e) {
                err.println(command + ": " + OneLine.printable(e.getMessage(), 1000));
                return USAGE;
            }
            List<String> accounts = settings.accounts().stream().map(AccountSettings::name).toList();
            if (asked != null && !accounts.contains(asked)) {
                err.println(command + ": --account must be one of " + String.join(", ", accounts));
                return USAGE;
            }
            try (HikariDataSource dataSource = JobsConfiguration.database(settings);
                 Connection connection = dataSource.getConnection()) {
                return work.run(connection, asked);
            } catch (SQLException | RuntimeException e) {
                String why = OneLine.of(e);
                err.println(command + ": the database " + settings.dbUrlForDisplay() + " did not answer: " + why
                        + (why.contains("file is locked") ? " (the embedded H2 is the running app's alone: stop it first,"
                        + " or run this command where the app runs on PostgreSQL)" : ""));
                return FAILED;
            }
        }
    }

    @FunctionalInterface
    private interface Work {
        int run(Connection connection, String account) throws SQLException;
    }

    @Command(name = "parked", synopsisHeading = "usage: ", sortOptions = false,
            description = "lists the parked events, oldest first: seq, id, account, type, job type, job id, refusals,"
                    + " when parked, the bus's last reason.")
    private static final class Parked implements Callable<Integer> {

        @Option(names = "--account", paramLabel = "<name>", description = "only this account's (one of devana.accounts)")
        private String account;

        @Option(names = "--limit", paramLabel = "<n>", defaultValue = "100", description = "at most this many (default ${DEFAULT-VALUE})")
        private int limit;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "shows this text")
        private boolean help;

        private final Context context;

        Parked(Context context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            if (limit < 1 || limit > 10_000) {
                context.err.println("events parked: --limit must be 1 to 10000");
                return USAGE;
            }
            return context.inDatabase("events parked", account, (connection, whose) -> {
                long total = ParkedEvents.count(connection, whose);
                for (ParkedEvents.Parked event : ParkedEvents.list(connection, whose, 0, limit)) {
                    context.out.println(String.join("  ", String.valueOf(event.seq()), shown(event.eventId()),
                            shown(event.account()), shown(event.eventType()), shown(event.jobType()), shown(event.jobId()),
                            event.refusals() + " refusals", String.valueOf(event.parkedAt()), shown(event.reason())));
                }
                context.err.println("events parked: " + total + " parked event(s)" + (total > limit ? ", the first "
                        + limit + " shown" : "") + (total > 0 ? "; 'events republish' puts them back in line" : ""));
                return OK;
            });
        }
    }

    @Command(name = "republish", synopsisHeading = "usage: ", sortOptions = false,
            description = "puts parked events back in line (every one, or those of --id), each with its refusals counted"
                    + " from zero: a running publisher sends them at its next look, in their place in the outbox.")
    private static final class Republish implements Callable<Integer> {

        @Option(names = "--id", paramLabel = "<event id>", description = "only this event (repeatable)")
        private List<String> ids = new ArrayList<>();

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "shows this text")
        private boolean help;

        private final Context context;

        Republish(Context context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            if (ids.size() > MAX_IDS) {
                context.err.println("events republish: at most " + MAX_IDS + " --id at once (none: every parked event)");
                return USAGE;
            }
            ids = List.copyOf(new LinkedHashSet<>(ids));
            for (String id : ids) {
                if (!EVENT_ID.matcher(id).matches()) {
                    context.err.println("events republish: --id must be an event id (a UUID, as 'events parked' shows), got '"
                            + OneLine.printable(id, 80) + "'");
                    return USAGE;
                }
            }
            return context.inDatabase("events republish", null, (connection, all) -> {
                int back = ParkedEvents.republish(connection, ids);
                context.out.println("events republish: " + back + " parked event(s) put back in line"
                        + (ids.isEmpty() || back == ids.size() ? "" : " (" + (ids.size() - back) + " of the ids given are not parked)"));
                return OK;
            });
        }
    }

    @Command(name = "backfill", synopsisHeading = "usage: ", sortOptions = false,
            description = "puts back in line every event written from --since to --until (published or parked), for a"
                    + " consumer that joined late: a running publisher sends them again, oldest first, with their ids (a"
                    + " consumer that has them already drops them). The outbox keeps published events for"
                    + " jobs.events.retention-hours.")
    private static final class Backfill implements Callable<Integer> {

        @Option(names = "--since", paramLabel = "<instant>", required = true,
                description = "from this instant, included (ISO-8601, e.g. 2026-12-04T08:00:00Z)")
        private String since;

        @Option(names = "--until", paramLabel = "<instant>", description = "to this instant, excluded (default: now)")
        private String until;

        @Option(names = "--account", paramLabel = "<name>", description = "only this account's (one of devana.accounts)")
        private String account;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "shows this text")
        private boolean help;

        private final Context context;

        Backfill(Context context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            Instant from;
            Instant to;
            try {
                from = Instant.parse(since);
                to = until == null ? context.clock.instant() : Instant.parse(until);
            } catch (DateTimeParseException e) {
                context.err.println("events backfill: --since and --until must be ISO-8601 instants, e.g. 2026-12-04T08:00:00Z");
                return USAGE;
            }
            if (from.isBefore(EARLIEST) || to.isAfter(LATEST)) {
                context.err.println("events backfill: --since and --until must be from " + EARLIEST + " to " + LATEST);
                return USAGE;
            }
            if (!from.isBefore(to)) {
                context.err.println("events backfill: --since must be before --until (" + to + ")");
                return USAGE;
            }
            return context.inDatabase("events backfill", account, (connection, whose) -> {
                int back = ParkedEvents.backfill(connection, from, to, whose);
                Instant oldest = ParkedEvents.oldest(connection);
                context.out.println("events backfill: " + back + " event(s) written from " + from + " to " + to
                        + (whose == null ? "" : " of account " + whose) + " put back in line; the outbox holds events since "
                        + (oldest == null ? "(none)" : oldest.toString()));
                return OK;
            });
        }
    }

    private static String shown(String text) {
        return OneLine.printable(text, 300);
    }
}
