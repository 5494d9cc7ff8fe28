package devana.bench;

import devana.bench.ScenarioWorkload.Transition;
import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * One run, side by side: devana-jobs (the shipped jar, a child JVM, H2, every setting at its default)
 * against one emulator, and the page's approach against a second emulator, both emulators fed the
 * same seeded workload tick by tick. Measures detection latency, API cost, retries per failure,
 * misses, start to first poll and resident memory.
 */
final class Scenario {

    record Options(long seed, Duration tick, Duration duration, Duration tail, Path projectDir, Path workDir, Path jar,
                   List<String> jvmOptions, Duration pollInterval) {
    }

    /** One client's figures. */
    record Side(Stats all, Stats failures, Stats completions, Stats failuresSeen, Map<String, Long> requests,
                double minutes, int retriableFailures, int failuresMissed, int completionsMeasured,
                int completionsMissed, int retryPosts, int failuresRetriedTwiceOrMore, Stats completionWaits,
                Stats completionCycles, Stats newestPagePeriods) {

        double getsPerMinute() {
            return requests.entrySet().stream().filter(e -> e.getKey().startsWith("GET"))
                    .mapToLong(Map.Entry::getValue).sum() / minutes;
        }

        double postsPerMinute() {
            return requests.getOrDefault("POST retry", 0L) / minutes;
        }

        double retriesPerFailure() {
            return retriableFailures == 0 ? Double.NaN : (double) retryPosts / retriableFailures;
        }
    }

    record Result(Side app, Side page, long startToFirstPollMillis, List<long[]> rss, long rssAt10MinKiB,
                  double rssMinuteMark, int transitions, int measured, int unsupportedFailures, int appExitCode,
                  Instant from, Instant to, String loadBefore, String loadAfter, Duration pollInterval) {
    }

    private Scenario() {
    }

    static Result run(Options options) throws Exception {
        Files.createDirectories(options.workDir());
        Path data = options.workDir().resolve("app-data");
        deleteTree(data);
        String loadBefore = Machine.load();
        try (DevanaEmulator appApi = DevanaEmulator.start(EmulatorOptions.forTests());
             DevanaEmulator pageApi = DevanaEmulator.start(EmulatorOptions.forTests().withRateLimitPerMinute(0))) {
            RequestLog appLog = new RequestLog();
            RequestLog pageLog = new RequestLog();
            appApi.addRequestListener(appLog::record);
            pageApi.addRequestListener(pageLog::record);
            ScenarioWorkload appWork = new ScenarioWorkload(options.seed(), options.tick());
            ScenarioWorkload pageWork = new ScenarioWorkload(options.seed(), options.tick());
            Instant now = Instant.now();
            appWork.install(appApi, now);
            pageWork.install(pageApi, now);
            Bench.say("scenario: both emulators hold %d visible jobs; starting devana-jobs (bin/devana-jobs)",
                    appApi.visibleJobCount());

            Map<String, String> env = Map.of(
                    "DEVANA_BASE_URL", appApi.baseUrl(),
                    "DEVANA_API_KEY", appApi.apiKey(),
                    "DEVANA_POLL_INTERVAL", String.valueOf(options.pollInterval().toMillis()),
                    "JOBS_DB_URL", "jdbc:h2:file:" + data.resolve("devana-jobs").toAbsolutePath());
            List<long[]> rss = new CopyOnWriteArrayList<>();
            try (AppProcess app = AppProcess.start(options.projectDir(), options.jar(), env,
                    options.workDir().resolve("app.log"), options.jvmOptions())) {
                ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
                sampler.scheduleAtFixedRate(() -> rss.add(new long[] {System.nanoTime(), app.rssKiB()}), 0, 5, TimeUnit.SECONDS);
                waitUntil(Duration.ofSeconds(60), () -> appLog.firstGetNanos() != 0, "devana-jobs never polled", app);
                long firstPoll = appLog.firstGetNanos();
                long startToFirstPoll = (firstPoll - app.startedNanos()) / 1_000_000;
                Bench.say("scenario: first poll %d ms after the process started; waiting for its first full scan", startToFirstPoll);
                waitUntil(Duration.ofSeconds(180), () -> firstScanDone(appLog), "the first full scan did not finish", app);

                PageScripts page = new PageScripts(pageApi.baseUrl(), pageApi.apiKey());
                pageWork.onArrival(page::waitForJob);
                Instant from = Instant.now();
                pageWork.activeTargets().forEach(page::waitForJob);
                page.startRetryLoop();
                ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
                long tickMillis = options.tick().toMillis();
                ticker.scheduleAtFixedRate(() -> {
                    try {
                        appWork.tick();
                        pageWork.tick();
                    } catch (RuntimeException e) {
                        Bench.say("workload tick failed: %s", e);
                    }
                }, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
                Instant to = from.plus(options.duration());
                Bench.say("scenario: workload running from %s for %d min (a move every %d ms); transitions before %s are measured",
                        from, options.duration().toMinutes(), tickMillis, to.minus(options.tail()));
                while (Instant.now().isBefore(to)) {
                    Thread.sleep(Math.min(60_000, Math.max(1, Duration.between(Instant.now(), to).toMillis())));
                    if (!app.alive()) {
                        throw new IllegalStateException("devana-jobs died; see " + app.log());
                    }
                    Bench.say("scenario: %s; app RSS %,d KiB; app %d requests, page's approach %d requests so far",
                            Duration.between(from, Instant.now()).toSeconds() + " s", app.rssKiB(),
                            appLog.requests().size(), pageLog.requests().size());
                }
                ticker.shutdownNow();
                ticker.awaitTermination(10, TimeUnit.SECONDS);
                page.close();
                Thread.sleep(2 * 5_000 + 2_000);
                sampler.shutdownNow();
                String loadAfter = Machine.load();
                int exit = app.stop(Duration.ofSeconds(30));

                List<Transition> transitions = appWork.transitions();
                Instant measuredBefore = to.minus(options.tail());
                List<Transition> measured = transitions.stream().filter(t -> t.at().isBefore(measuredBefore)).toList();
                // the same moves in the same order: the page's side is measured on the same ones
                List<Transition> pageAll = pageWork.transitions();
                List<Transition> pageTransitions = pageAll.subList(0, Math.min(measured.size(), pageAll.size()));
                Map<String, Instant> completions = completions(data);
                Side appSide = appSide(measured, appLog, completions, from, to);
                Side pageSide = pageSide(pageTransitions, pageLog, page.monitorOutcomes(), from, to);
                int unsupported = (int) measured.stream().filter(t -> "ERROR".equals(t.status()) && !t.retriableFailure()).count();
                long rss10 = rssAt(rss, firstPoll + Duration.ofMinutes(10).toNanos());
                double mark = rss.isEmpty() ? 0 : Math.min(10.0,
                        (rss.get(rss.size() - 1)[0] - firstPoll) / 60e9);
                return new Result(appSide, pageSide, startToFirstPoll, rss, rss10, mark, transitions.size(), measured.size(),
                        unsupported, exit, from, to, loadBefore, loadAfter, options.pollInterval());
            }
        }
    }

    private static Side appSide(List<Transition> measured, RequestLog log, Map<String, Instant> completions,
                                Instant from, Instant to) {
        return side(measured, log, from, to, t -> completions.get(t.jobId()), t -> null);
    }

    private static Side pageSide(List<Transition> measured, RequestLog log, Map<String, PageScripts.Outcome> outcomes,
                                 Instant from, Instant to) {
        return side(measured, log, from, to, t -> outcomeAt(outcomes, t, "DONE"), t -> outcomeAt(outcomes, t, "ERROR"));
    }

    private static Instant outcomeAt(Map<String, PageScripts.Outcome> outcomes, Transition t, String status) {
        PageScripts.Outcome outcome = outcomes.get(t.targetId());
        return outcome != null && status.equals(outcome.status()) ? outcome.at() : null;
    }

    /**
     * One client's figures over the measured transitions: a retriable failure ends at the first retry
     * POST the emulator received for its target; a DONE job at doneAt; seenAt (a failure the client
     * noticed without retrying it) is reported apart. A null instant is a miss.
     */
    private static Side side(List<Transition> measured, RequestLog log, Instant from, Instant to,
                             Function<Transition, Instant> doneAt, Function<Transition, Instant> seenAt) {
        List<Double> all = new ArrayList<>();
        List<Double> failures = new ArrayList<>();
        List<Double> seen = new ArrayList<>();
        List<Double> done = new ArrayList<>();
        List<Double> waits = new ArrayList<>();
        List<Double> cycles = new ArrayList<>();
        List<Instant> gets = log.requests().stream().filter(r -> r.method().equals("GET")).map(RequestLog.Request::at)
                .sorted().toList();
        int retriable = 0;
        int failuresMissed = 0;
        int doneMeasured = 0;
        int doneMissed = 0;
        int posts = 0;
        int twice = 0;
        for (Transition t : measured) {
            if (t.retriableFailure()) {
                retriable++;
                List<Instant> retries = log.retryPosts(t.targetId());
                posts += retries.size();
                twice += retries.size() > 1 ? 1 : 0;
                if (retries.isEmpty()) {
                    failuresMissed++;
                } else {
                    double ms = millis(t.at(), retries.get(0));
                    failures.add(ms);
                    all.add(ms);
                }
                Instant noticed = seenAt.apply(t);
                if (noticed != null) {
                    seen.add(millis(t.at(), noticed));
                }
            } else if ("DONE".equals(t.status())) {
                doneMeasured++;
                Instant recorded = doneAt.apply(t);
                if (recorded == null) {
                    doneMissed++;
                } else {
                    double ms = millis(t.at(), recorded);
                    done.add(ms);
                    all.add(ms);
                    Instant asked = firstAfter(gets, t.at());
                    if (asked != null && !asked.isAfter(recorded)) {
                        waits.add(millis(t.at(), asked));
                        cycles.add(millis(asked, recorded));
                    }
                }
            }
        }
        List<Instant> newest = log.requests().stream().filter(r -> r.kind().equals("GET newest page"))
                .map(RequestLog.Request::at).filter(at -> !at.isBefore(from) && at.isBefore(to)).sorted().toList();
        List<Double> periods = new ArrayList<>();
        for (int i = 1; i < newest.size(); i++) {
            periods.add(millis(newest.get(i - 1), newest.get(i)));
        }
        return new Side(Stats.of(all), Stats.of(failures), Stats.of(done), Stats.of(seen), log.countByKind(from, to),
                minutes(from, to), retriable, failuresMissed, doneMeasured, doneMissed, posts, twice, Stats.of(waits),
                Stats.of(cycles), Stats.of(periods));
    }

    /** The first of the sorted instants after {@code at}: the first request that could see a change made then. */
    private static Instant firstAfter(List<Instant> sorted, Instant at) {
        int low = 0;
        int high = sorted.size();
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (sorted.get(mid).isAfter(at)) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low < sorted.size() ? sorted.get(low) : null;
    }

    /** The first full scan reached offset 1000 and the next cycle began: its 1,100 jobs are processed. */
    private static boolean firstScanDone(RequestLog log) {
        boolean deepest = false;
        for (RequestLog.Request request : log.requests()) {
            if (deepest && request.kind().equals("GET newest page")) {
                return true;
            }
            deepest |= request.kind().equals("GET deeper page");
        }
        return false;
    }

    private static Map<String, Instant> completions(Path data) throws SQLException {
        Map<String, Instant> recorded = new HashMap<>();
        try (Connection db = DriverManager.getConnection("jdbc:h2:file:" + data.resolve("devana-jobs").toAbsolutePath());
             ResultSet rs = db.createStatement().executeQuery("SELECT job_id, recorded_at FROM job_completions")) {
            while (rs.next()) {
                recorded.put(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant());
            }
        }
        return recorded;
    }

    private static long rssAt(List<long[]> samples, long nanos) {
        return samples.stream().filter(s -> s[1] > 0).min(Comparator.comparingLong(s -> Math.abs(s[0] - nanos)))
                .map(s -> s[1]).orElse(-1L);
    }

    private static void waitUntil(Duration limit, BooleanSupplier condition, String failure, AppProcess app)
            throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end || !app.alive()) {
                throw new IllegalStateException(failure + "; see " + app.log());
            }
            Thread.sleep(20);
        }
    }

    private static double millis(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e6;
    }

    private static double minutes(Instant from, Instant to) {
        return Duration.between(from, to).toMillis() / 60_000.0;
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }
}
