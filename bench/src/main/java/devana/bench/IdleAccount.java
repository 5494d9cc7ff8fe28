package devana.bench;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.emulator.RecordedRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An idle account, side by side: two devana-jobs processes (the shipped jar, H2, defaults), one paced as shipped
 * (devana.poll.idle-interval 30 s) and one polling at every interval whatever happens (idle-interval and
 * push-safety-interval set to the poll interval, as before pacing existed), each on its own emulator holding the
 * same finished jobs. Measures the GET requests a minute each spends once settled, then how long after a new job
 * appears on both each starts the cycle that sees it.
 */
final class IdleAccount {

    record Side(double getsPerMinute, long newJobSeenMillis) {
    }

    record Result(Side paced, Side everyInterval, Duration measured, int finishedJobs) {
    }

    private IdleAccount() {
    }

    static Result run(Path projectDir, Path workDir, Path jar, List<String> jvmOptions, Duration measured) throws Exception {
        int finished = 50;
        try (DevanaEmulator pacedApi = DevanaEmulator.start(EmulatorOptions.forTests());
             DevanaEmulator everyApi = DevanaEmulator.start(EmulatorOptions.forTests())) {
            for (DevanaEmulator api : List.of(pacedApi, everyApi)) {
                for (int i = 0; i < finished; i++) {
                    api.job().type(i % 2 == 0 ? "EXTRACTION" : "SYNC").status("DONE").progress(100)
                            .createdAt(Instant.now().minusSeconds(3600 + i * 60L)).add();
                }
            }
            List<Instant> pacedCycles = new CopyOnWriteArrayList<>();
            List<Instant> everyCycles = new CopyOnWriteArrayList<>();
            pacedApi.addRequestListener(request -> record(request, pacedCycles));
            everyApi.addRequestListener(request -> record(request, everyCycles));
            Bench.say("idle account: two devana-jobs processes, %d finished jobs each, settling 60 s then measuring %d min",
                    finished, measured.toMinutes());
            try (AppProcess paced = AppProcess.start(projectDir, jar, env(pacedApi, workDir.resolve("idle-paced"), Map.of()),
                    workDir.resolve("idle-paced.log"), jvmOptions);
                 AppProcess every = AppProcess.start(projectDir, jar, env(everyApi, workDir.resolve("idle-every"),
                         Map.of("DEVANA_POLL_IDLE_INTERVAL", "5000", "DEVANA_POLL_PUSH_SAFETY_INTERVAL", "5000")),
                         workDir.resolve("idle-every.log"), jvmOptions)) {
                waitFor(Duration.ofSeconds(90), () -> !pacedCycles.isEmpty() && !everyCycles.isEmpty(), paced, every);
                Instant from = Instant.now().plusSeconds(60);
                Instant to = from.plus(measured);
                sleepUntil(to);
                double minutes = Duration.between(from, to).toMillis() / 60_000.0;
                double pacedRate = pacedApi.requests().stream().filter(r -> isGet(r) && within(r.at(), from, to)).count() / minutes;
                double everyRate = everyApi.requests().stream().filter(r -> isGet(r) && within(r.at(), from, to)).count() / minutes;
                Bench.say("idle account: %.1f GET/min paced, %.1f GET/min at every interval", pacedRate, everyRate);

                Instant created = Instant.now();
                pacedApi.job().type("EXTRACTION").status("PENDING").add();
                everyApi.job().type("EXTRACTION").status("PENDING").add();
                waitFor(Duration.ofSeconds(45), () -> after(pacedCycles, created) != null && after(everyCycles, created) != null,
                        paced, every);
                long pacedSeen = Duration.between(created, after(pacedCycles, created)).toMillis();
                long everySeen = Duration.between(created, after(everyCycles, created)).toMillis();
                Bench.say("idle account: the new job's first cycle %d ms after it appeared (paced), %d ms (every interval)",
                        pacedSeen, everySeen);
                return new Result(new Side(pacedRate, pacedSeen), new Side(everyRate, everySeen), measured, finished);
            }
        }
    }

    /** The markdown section of results.md. */
    static String markdown(Result result) {
        return "\n### Idle account (" + result.finishedJobs() + " finished jobs, nothing active; "
                + result.measured().toMinutes() + " measured minutes after 60 s of settling)\n\n"
                + "| measure | paced (as shipped) | every interval (before pacing) | target |\n|---|---|---|---|\n"
                + String.format("| GET requests/min | %.1f | %.1f | at most 2 |%n", result.paced().getsPerMinute(),
                        result.everyInterval().getsPerMinute())
                + String.format("| a new job: its appearance to the start of the cycle that sees it | %,d ms | %,d ms | within the idle interval (30 s) |%n",
                        result.paced().newJobSeenMillis(), result.everyInterval().newJobSeenMillis());
    }

    private static Map<String, String> env(DevanaEmulator api, Path data, Map<String, String> extra) throws Exception {
        Map<String, String> env = new java.util.LinkedHashMap<>(Map.of(
                "DEVANA_BASE_URL", api.baseUrl(),
                "DEVANA_API_KEY", api.apiKey(),
                "JOBS_DB_URL", "jdbc:h2:file:" + data.resolve("devana-jobs").toAbsolutePath(),
                "CAMEL_SERVER_PORT", String.valueOf(AppProcess.freePort())));
        env.putAll(extra);
        Files2.deleteTree(data);
        return env;
    }

    /** A cycle's start: its request for the newest page. */
    private static void record(RecordedRequest request, List<Instant> cycles) {
        String query = request.query() == null ? "" : request.query();
        if (isGet(request) && query.contains("offset=0") && !query.contains("type=") && !query.contains("targetId=")) {
            cycles.add(request.at());
        }
    }

    private static boolean isGet(RecordedRequest request) {
        return "GET".equals(request.method());
    }

    private static boolean within(Instant at, Instant from, Instant to) {
        return !at.isBefore(from) && at.isBefore(to);
    }

    private static Instant after(List<Instant> cycles, Instant at) {
        return cycles.stream().filter(cycle -> cycle.isAfter(at)).findFirst().orElse(null);
    }

    private static void waitFor(Duration patience, java.util.function.BooleanSupplier done, AppProcess... apps)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(patience);
        while (!done.getAsBoolean()) {
            for (AppProcess app : apps) {
                if (!app.alive()) {
                    throw new IllegalStateException("devana-jobs stopped; see " + app.log());
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("idle account: not done within " + patience.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
    }

    private static void sleepUntil(Instant at) throws InterruptedException {
        long millis = Duration.between(Instant.now(), at).toMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }
}
