package devana.bench;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed pushes, side by side: two devana-jobs processes (the shipped jar, H2, a webhook secret), one paced as shipped
 * (push first: devana.poll.push-safety-interval 60 s) and one polling at every interval whatever happens, each on its
 * own emulator holding one running job. Four jobs a second finish on both emulators (the API shows them DONE) and
 * are pushed to each, for the given minutes; then the pushes stop. Measures the push's round trip (its 202 comes once the job's state and its event are committed to the
 * outbox), the GET requests a minute while pushes come, and after they stopped.
 */
final class PushFirst {

    private static final String SECRET = "bench-push-secret-6f2d0a91c3";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Side(Stats pushMillis, int refused, double getsPerMinuteWhilePushed, double getsPerMinuteAfter) {
    }

    record Result(Side paced, Side everyInterval, Duration pushing, int pushesEach) {
    }

    private PushFirst() {
    }

    static Result run(Path projectDir, Path workDir, Path jar, List<String> jvmOptions, Duration pushing) throws Exception {
        try (DevanaEmulator pacedApi = DevanaEmulator.start(EmulatorOptions.forTests());
             DevanaEmulator everyApi = DevanaEmulator.start(EmulatorOptions.forTests())) {
            pacedApi.job().type("EXTRACTION").status("IN_PROGRESS").progress(10).add();
            everyApi.job().type("EXTRACTION").status("IN_PROGRESS").progress(10).add();
            int pacedPort = AppProcess.freePort();
            int everyPort = AppProcess.freePort();
            Bench.say("push first: two devana-jobs processes; pushing 4 new jobs a second to each for %d min, then 150 s without",
                    pushing.toMinutes());
            try (AppProcess paced = AppProcess.start(projectDir, jar, env(pacedApi, workDir.resolve("push-paced"), pacedPort, Map.of()),
                    workDir.resolve("push-paced.log"), jvmOptions);
                 AppProcess every = AppProcess.start(projectDir, jar, env(everyApi, workDir.resolve("push-every"), everyPort,
                         Map.of("DEVANA_POLL_IDLE_INTERVAL", "5000", "DEVANA_POLL_PUSH_SAFETY_INTERVAL", "5000")),
                         workDir.resolve("push-every.log"), jvmOptions)) {
                Instant ready = Instant.now().plusSeconds(90);
                while (!(pacedApi.requests().size() > 0 && everyApi.requests().size() > 0)) {
                    if (!paced.alive() || !every.alive() || Instant.now().isAfter(ready)) {
                        throw new IllegalStateException("push first: devana-jobs did not poll; see " + paced.log());
                    }
                    Thread.sleep(100);
                }
                Thread.sleep(10_000);
                List<Double> pacedMillis = new ArrayList<>();
                List<Double> everyMillis = new ArrayList<>();
                int[] refused = new int[2];
                Instant from = Instant.now();
                Instant to = from.plus(pushing);
                int n = 0;
                long next = System.nanoTime();
                while (Instant.now().isBefore(to)) {
                    // an upload that finished: the API shows it, and its push says so
                    String id = "cm4jobpush" + Long.toString(1_000_000L + n, 36) + "x";
                    pacedApi.job().id(id).type("SYNC").target("cm4docpush1").status("DONE").progress(100).add();
                    everyApi.job().id(id).type("SYNC").target("cm4docpush1").status("DONE").progress(100).add();
                    push(pacedPort, id, pacedMillis, refused, 0);
                    push(everyPort, id, everyMillis, refused, 1);
                    n++;
                    next += 250_000_000L;
                    long wait = (next - System.nanoTime()) / 1_000_000;
                    if (wait > 0) {
                        Thread.sleep(wait);
                    }
                }
                // while pushes came: from 70 s in (the paced one has had its last busy cycle and its first safety one)
                Instant measuredFrom = from.plusSeconds(70);
                double whileMinutes = Duration.between(measuredFrom, to).toMillis() / 60_000.0;
                double pacedWhile = gets(pacedApi, measuredFrom, to) / whileMinutes;
                double everyWhile = gets(everyApi, measuredFrom, to) / whileMinutes;
                // after: the safety interval (60 s) ends pushing's pace, then 90 s are counted
                Instant afterFrom = to.plusSeconds(60);
                Instant afterTo = afterFrom.plusSeconds(90);
                Thread.sleep(Duration.between(Instant.now(), afterTo).toMillis());
                double pacedAfter = gets(pacedApi, afterFrom, afterTo) / 1.5;
                double everyAfter = gets(everyApi, afterFrom, afterTo) / 1.5;
                Result result = new Result(new Side(Stats.of(pacedMillis), refused[0], pacedWhile, pacedAfter),
                        new Side(Stats.of(everyMillis), refused[1], everyWhile, everyAfter), pushing, n);
                Bench.say("push first: push round trip p50/p99 %.1f/%.1f ms (paced), GET/min while pushed %.1f vs %.1f, after %.1f vs %.1f",
                        result.paced().pushMillis().median(), result.paced().pushMillis().p99(), pacedWhile, everyWhile, pacedAfter, everyAfter);
                return result;
            }
        }
    }

    /** The markdown section of results.md. */
    static String markdown(Result result) {
        Side paced = result.paced();
        Side every = result.everyInterval();
        return "\n### Push first (" + result.pushesEach() + " signed pushes to each, 4 a second for "
                + result.pushing().toMinutes() + " min; one job running all along)\n\n"
                + "| measure | paced (as shipped) | every interval (before pacing) | target |\n|---|---|---|---|\n"
                + String.format("| push to its event in the outbox (the 202's round trip), median / p99 | %.1f / %.1f ms | %.1f / %.1f ms | p99 under 50 ms |%n",
                        paced.pushMillis().median(), paced.pushMillis().p99(), every.pushMillis().median(), every.pushMillis().p99())
                + String.format("| pushes not answered 202 | %d | %d | 0 |%n", paced.refused(), every.refused())
                + String.format("| GET requests/min while pushes come (from 70 s in) | %.1f | %.1f | a safety net: 1 a minute |%n",
                        paced.getsPerMinuteWhilePushed(), every.getsPerMinuteWhilePushed())
                + String.format("| GET requests/min once they stopped (from 60 s after the last, for 90 s) | %.1f | %.1f | back to the interval: 12 |%n",
                        paced.getsPerMinuteAfter(), every.getsPerMinuteAfter());
    }

    private static void push(int port, String jobId, List<Double> millis, int[] refused, int side) throws Exception {
        byte[] body = ("{\"jobId\":\"" + jobId + "\",\"status\":\"DONE\",\"targetId\":\"cm4docpush1\",\"type\":\"SYNC\","
                + "\"metadata\":{}}").getBytes(StandardCharsets.UTF_8);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhook/job-status"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .header("X-Devana-Signature", "sha256=" + HexFormat.of().formatHex(mac.doFinal(body)))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        long started = System.nanoTime();
        HttpResponse<Void> response = CLIENT.send(request, HttpResponse.BodyHandlers.discarding());
        millis.add((System.nanoTime() - started) / 1e6);
        if (response.statusCode() != 202) {
            refused[side]++;
        }
    }

    private static long gets(DevanaEmulator api, Instant from, Instant to) {
        return api.requests().stream().filter(r -> "GET".equals(r.method()) && !r.at().isBefore(from) && r.at().isBefore(to))
                .count();
    }

    private static Map<String, String> env(DevanaEmulator api, Path data, int port, Map<String, String> extra) throws Exception {
        Map<String, String> env = new java.util.LinkedHashMap<>(Map.of(
                "DEVANA_BASE_URL", api.baseUrl(),
                "DEVANA_API_KEY", api.apiKey(),
                "DEVANA_WEBHOOK_SECRET", SECRET,
                "JOBS_DB_URL", "jdbc:h2:file:" + data.resolve("devana-jobs").toAbsolutePath(),
                "CAMEL_SERVER_PORT", String.valueOf(port)));
        env.putAll(extra);
        Files2.deleteTree(data);
        return env;
    }
}
