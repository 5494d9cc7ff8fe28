package devana.bench;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One devana-jobs process (the shipped jar, H2) serving 1, then 10, then 100 accounts, each on an emulator of its own
 * (its own key and budget) holding 1,100 visible jobs of which 100 are running (they stay running: every account is
 * busy, polled every interval, and asks for its active jobs). After the first full scans have settled, measures the
 * process's CPU (user + system time over the measured minutes, as a share of one core), its resident memory, and
 * the requests each account's emulator received.
 */
final class ManyAccounts {

    record Row(int accounts, double cpuShareOfOneCore, long rssMiB, double getsPerMinutePerAccount, double maxGetsPerMinute,
               int routes, long firstScansSeconds, long steadySeconds) {
    }

    private ManyAccounts() {
    }

    static List<Row> run(Path projectDir, Path workDir, Path jar, List<String> jvmOptions, List<Integer> counts,
                         Duration measured) throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int count : counts) {
            rows.add(once(projectDir, workDir, jar, jvmOptions, count, measured));
        }
        return rows;
    }

    private static Row once(Path projectDir, Path workDir, Path jar, List<String> jvmOptions, int count, Duration measured)
            throws Exception {
        List<DevanaEmulator> apis = new ArrayList<>();
        try {
            Map<String, String> env = new LinkedHashMap<>();
            List<String> names = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                DevanaEmulator api = DevanaEmulator.start(EmulatorOptions.forTests());
                api.setApiKey("key-of-account-" + i);
                Instant now = Instant.now();
                for (int j = 0; j < 1100; j++) {
                    boolean running = j < 100;
                    api.job().type(j % 3 == 0 ? "EXTRACTION" : j % 3 == 1 ? "EMBEDDING" : "SYNC")
                            .status(running ? "IN_PROGRESS" : "DONE").progress(running ? 40 : 100)
                            .createdAt(now.minusSeconds(60L * j)).add();
                }
                apis.add(api);
                String name = String.format("a%03d", i);
                names.add(name);
                env.put("DEVANA_ACCOUNTS_" + name.toUpperCase() + "_BASE_URL", api.baseUrl());
                env.put("DEVANA_ACCOUNTS_" + name.toUpperCase() + "_API_KEY", api.apiKey());
            }
            env.put("DEVANA_ACCOUNTS", String.join(",", names));
            Path data = workDir.resolve("many-" + count);
            Files2.deleteTree(data);
            env.put("JOBS_DB_URL", "jdbc:h2:file:" + data.resolve("devana-jobs").toAbsolutePath());
            int port = AppProcess.freePort();
            env.put("CAMEL_SERVER_PORT", String.valueOf(port));
            Bench.say("many accounts: %d account(s) of 1,100 visible / 100 running jobs; settling until every account "
                    + "polls at its interval again and the outbox is empty, then 30 s; measuring %d min", count, measured.toMinutes());
            try (AppProcess app = AppProcess.start(projectDir, jar, env, workDir.resolve("many-" + count + ".log"), jvmOptions)) {
                Instant started = Instant.now();
                Instant giveUp = started.plus(Duration.ofMinutes(30));
                waitFor(app, giveUp, () -> apis.stream().allMatch(ManyAccounts::firstScanRead),
                        "the first full scans were not all read");
                long scansSeconds = Duration.between(started, Instant.now()).toSeconds();
                Bench.say("many accounts: %d: every first full scan read %d s after the start", count, scansSeconds);
                // read is not recorded: the 1,100 jobs of a scan are recorded after its last page; steady once every
                // account's next cycle asked for something
                waitFor(app, giveUp, () -> apis.stream().allMatch(ManyAccounts::pollingAgain),
                        "the accounts were not all polling again");
                Bench.say("many accounts: %d: every account polling at its interval %d s after the start", count,
                        Duration.between(started, Instant.now()).toSeconds());
                // the first scans' events (1,100 per account) are still being published: steady once the outbox is empty
                waitFor(app, giveUp, () -> pendingEvents(port) == 0, "the first scans' events were not all published");
                long steadySeconds = Duration.between(started, Instant.now()).toSeconds();
                Bench.say("many accounts: %d: every first scan's event published %d s after the start", count, steadySeconds);
                Thread.sleep(30_000);
                long cpuBefore = cpuTicks(app.pid());
                Instant from = Instant.now();
                Thread.sleep(measured.toMillis());
                Instant to = Instant.now();
                long cpuAfter = cpuTicks(app.pid());
                long rss = app.rssKiB() / 1024;
                double seconds = Duration.between(from, to).toMillis() / 1000.0;
                double cpuShare = (cpuAfter - cpuBefore) / 100.0 / seconds; // /proc ticks are 1/100 s
                double minutes = seconds / 60;
                double total = 0;
                double max = 0;
                for (DevanaEmulator api : apis) {
                    double gets = api.requests().stream().filter(r -> "GET".equals(r.method())
                            && !r.at().isBefore(from) && r.at().isBefore(to)).count() / minutes;
                    total += gets;
                    max = Math.max(max, gets);
                }
                int routes = routes(port);
                Row row = new Row(count, cpuShare, rss, total / count, max, routes, scansSeconds, steadySeconds);
                Bench.say("many accounts: %d: %.1f %% of one core, %d MiB resident, %.1f GET/min per account (at most %.1f)",
                        count, cpuShare * 100, rss, row.getsPerMinutePerAccount(), max);
                return row;
            }
        } finally {
            for (DevanaEmulator api : apis) {
                api.close();
            }
        }
    }

    static String markdown(List<Row> rows, Duration measured) {
        StringBuilder md = new StringBuilder("\n### Many accounts on one process (each 1,100 visible / 100 running jobs; "
                + measured.toMinutes() + " measured minutes, from 30 s after every account polled at its interval again and every event was published)\n\n"
                + "| accounts | CPU, share of one core | resident memory | GET/min per account (most of one) | routes "
                + "| every first full scan read after | steady (polling again, outbox empty) after |\n|---|---|---|---|---|---|---|\n");
        for (Row row : rows) {
            md.append(String.format("| %d | %.1f %% | %,d MiB | %.1f (%.1f) | %d | %d s | %d s |%n", row.accounts(),
                    row.cpuShareOfOneCore() * 100, row.rssMiB(), row.getsPerMinutePerAccount(), row.maxGetsPerMinute(),
                    row.routes(), row.firstScansSeconds(), row.steadySeconds()));
        }
        return md.toString();
    }

    /** The account's first full scan has asked for its last page (offset 1000: 1,100 jobs are eleven pages). */
    private static boolean firstScanRead(DevanaEmulator api) {
        return api.requests().stream().anyMatch(r -> r.query() != null && r.query().contains("offset=1000"));
    }

    /**
     * The account's first full scan is recorded: a request came after its last page (an account's cycles run one
     * after the other, and a cycle records its jobs after its last request).
     */
    private static boolean pollingAgain(DevanaEmulator api) {
        List<devana.emulator.RecordedRequest> requests = api.requests();
        Instant lastPage = requests.stream().filter(r -> r.query() != null && r.query().contains("offset=1000"))
                .map(devana.emulator.RecordedRequest::at).findFirst().orElse(null);
        return lastPage != null && requests.stream().anyMatch(r -> r.at().isAfter(lastPage));
    }

    /** utime + stime of the process, in clock ticks (fields 14 and 15 of /proc/pid/stat). */
    private static long cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** The routes the app runs: the route checks its health answer lists. */
    /** A condition the bench waits for, checked every second. */
    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(AppProcess app, Instant giveUp, Condition condition, String failure) throws Exception {
        while (!condition.holds()) {
            if (!app.alive()) {
                throw new IllegalStateException("devana-jobs stopped; see " + app.log());
            }
            if (Instant.now().isAfter(giveUp)) {
                throw new IllegalStateException(failure + " within 30 min; see " + app.log());
            }
            Thread.sleep(1000);
        }
    }

    /** The events not yet published, as readiness says them ({@code events.pending} of the bus check), or -1. */
    private static long pendingEvents(int port) throws Exception {
        String ready = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/observe/health/ready?data=true")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher pending = java.util.regex.Pattern.compile("\"events\\.pending\"\\s*:\\s*(\\d+)").matcher(ready);
        // -1 when readiness did not tell (the database probe gave up under load): not an empty outbox
        return pending.find() ? Long.parseLong(pending.group(1)) : -1;
    }

    private static int routes(int port) throws Exception {
        String health = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/observe/health")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return health.split("\"name\":\"route:", -1).length - 1;
    }
}
