package devana.bench;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Time from process start to first poll: separate starts of the launcher, each on a new H2 database.
 * The first starts without a class-data archive and writes it when it stops; the others map it, as
 * every start after the first does in production. Reported apart.
 */
final class Startup {

    record Result(double firstMillis, List<Double> millis, Stats stats, List<Long> rssAtFirstPollKiB) {
    }

    private Startup() {
    }

    static Result measure(Path projectDir, Path jar, Path workDir, int runs, List<String> jvmOptions) throws Exception {
        List<Double> samples = new ArrayList<>();
        List<Long> rss = new ArrayList<>();
        java.nio.file.Files.deleteIfExists(AppProcess.archive(workDir));
        for (int i = 1; i <= runs; i++) {
            Path data = workDir.resolve("startup-" + i);
            Scenario.deleteTree(data);
            try (DevanaEmulator api = DevanaEmulator.start(EmulatorOptions.forTests())) {
                RequestLog log = new RequestLog();
                api.addRequestListener(log::record);
                Map<String, String> env = Map.of("DEVANA_BASE_URL", api.baseUrl(), "DEVANA_API_KEY", api.apiKey(),
                        "JOBS_DB_URL", "jdbc:h2:file:" + data.resolve("devana-jobs").toAbsolutePath());
                try (AppProcess app = AppProcess.start(projectDir, jar, env, workDir.resolve("startup-" + i + ".log"), jvmOptions)) {
                    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (log.firstGetNanos() == 0 && System.nanoTime() < end && app.alive()) {
                        Thread.sleep(5);
                    }
                    if (log.firstGetNanos() == 0) {
                        throw new IllegalStateException("no first poll; see " + app.log());
                    }
                    samples.add((log.firstGetNanos() - app.startedNanos()) / 1e6);
                    rss.add(app.rssKiB());
                    app.stop(Duration.ofSeconds(20));
                }
            }
            Scenario.deleteTree(data);
            Bench.say("start to first poll, run %d/%d: %.0f ms", i, runs, samples.get(samples.size() - 1));
        }
        List<Double> withArchive = samples.size() > 1 ? samples.subList(1, samples.size()) : samples;
        return new Result(samples.get(0), withArchive, Stats.of(withArchive), rss);
    }
}
