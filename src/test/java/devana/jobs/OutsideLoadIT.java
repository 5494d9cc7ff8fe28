package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar started by bin/devana-jobs (its 96 MiB heap, exit on heap exhaustion), loaded from
 * outside as an attacker would: 500 concurrent slow uploads of 1 MiB to the webhook (half declaring their
 * length, half chunked) and 50 concurrent GET /api/jobs?limit=100 over 100 jobs of 60 KB. Afterwards the
 * process is up, /observe/health/live answers within 1 s, and it still polls and takes a signed push.
 * Runs after `package` (failsafe), since it needs the jar.
 */
class OutsideLoadIT {

    private static final String SECRET = "whsec-outside-load-2d9f61c4";
    private static final int UPLOADS = 500;
    private static final int READERS = 50;
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    private DevanaEmulator emulator;
    private Process process;
    private Path log;
    private int port;

    @BeforeEach
    void startTheJarOnAnEmulatorWithLargeJobs() throws Exception {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
        for (int i = 0; i < 100; i++) {
            emulator.job().type(i % 2 == 0 ? "EXTRACTION" : "EMBEDDING").status("DONE").progress(100)
                    .metadata(Map.of("fileName", "large-" + i + ".pdf", "text", "t".repeat(60_000))).add();
        }
        Path jar = Path.of("target", "devana-jobs.jar");
        assertThat(jar).as("the jar `mvn package` builds").exists();
        port = RunningApp.freePort();
        log = dir.resolve("app.log");
        ProcessBuilder builder = new ProcessBuilder("bin/devana-jobs")
                .directory(new File(System.getProperty("user.dir")))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("DEVANA_BASE_URL", emulator.baseUrl());
        env.put("DEVANA_API_KEY", emulator.apiKey());
        env.put("DEVANA_POLL_INTERVAL", "2000");
        env.put("DEVANA_WEBHOOK_SECRET", SECRET);
        env.put("JOBS_DB_URL", "jdbc:h2:file:" + dir.resolve("devana-jobs").toAbsolutePath());
        env.put("CAMEL_SERVER_PORT", String.valueOf(port));
        env.put("DEVANA_JOBS_CDS", "off");
        env.remove("JAVA_OPTS");
        process = builder.start();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
                ((Number) Json.read(Http.get(url("/api/stats")).body()).get("total")).intValue() == 100);
    }

    @AfterEach
    void stop() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void stays_up_and_answers_its_probe_within_a_second_under_slow_uploads_and_large_answers() throws Exception {
        ScheduledExecutorService writers = Executors.newScheduledThreadPool(16);
        List<Socket> uploads = new ArrayList<>();
        Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
        long liveWorst;
        int probesTaken;
        try {
            for (int i = 0; i < UPLOADS; i++) {
                Socket socket = new Socket("127.0.0.1", port);
                uploads.add(socket);
                boolean declared = i % 2 == 0;
                write(socket, "POST /webhook/job-status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "X-Devana-Signature: sha256=" + "0".repeat(64) + "\r\n"
                        + (declared ? "Content-Length: " + MIB + "\r\n\r\n" : "Transfer-Encoding: chunked\r\n\r\n"));
                // then 4 KiB every 100 ms per upload: a whole MiB would take 25 s
                writers.scheduleAtFixedRate(() -> write(socket, declared ? "x".repeat(4096) : "1000\r\n" + "x".repeat(4096) + "\r\n"),
                        0, 100, TimeUnit.MILLISECONDS);
            }
            // 50 readers, each asking GET /api/jobs?limit=100 again as soon as answered, for 10 s; the probe beside them
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<CompletableFuture<Void>> readers = new ArrayList<>();
            for (int i = 0; i < READERS; i++) {
                readers.add(readUntil(client, until, answers));
            }
            ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor();
            List<Long> probes = new java.util.concurrent.CopyOnWriteArrayList<>();
            prober.scheduleAtFixedRate(() -> probes.add(timeLiveness()), 0, 250, TimeUnit.MILLISECONDS);
            CompletableFuture.allOf(readers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            prober.shutdownNow();
            liveWorst = probes.stream().mapToLong(Long::longValue).max().orElse(-1);
            probesTaken = probes.size();
        } finally {
            writers.shutdownNow();
            for (Socket socket : uploads) {
                socket.close();
            }
        }
        long afterwards = timeLiveness();
        String jobAfter = emulator.job().type("SYNC").status("DONE").progress(100).add();
        byte[] body = ("{\"jobId\":\"cm4jobAfterLoad\",\"status\":\"DONE\",\"targetId\":\"cm4docL\",\"type\":\"EXTRACTION\","
                + "\"metadata\":{}}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> push = Http.post(url("/webhook/job-status"), body,
                Map.of("Content-Type", "application/json", "X-Devana-Signature", Signed.devana(SECRET, body)));

        System.out.printf("outside load: /api/jobs answers %s; /observe/health/live worst %d ms over %d probes during the load,"
                        + " %d ms after; process %s, %d MB resident%n", answers, liveWorst, probesTaken, afterwards,
                process.isAlive() ? "up" : "GONE", residentMegabytes());
        assertThat(process.isAlive()).as("the process is up; its log ends:\n%s", tail()).isTrue();
        assertThat(afterwards).as("ms for /observe/health/live after the load").isLessThan(1000);
        assertThat(push.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() ->
                Http.get(url("/api/jobs?status=DONE&type=SYNC")).body().contains(jobAfter));
        assertThat(answers.keySet()).as("answers to GET /api/jobs").allMatch(k -> k.startsWith("200") || k.startsWith("503"));
        assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError").doesNotContain("\tat ");
    }

    /** One reader: GET /api/jobs?limit=100 again and again until the deadline, each answer counted by status and size. */
    private CompletableFuture<Void> readUntil(HttpClient client, long until, Map<String, AtomicInteger> answers) {
        if (System.nanoTime() > until) {
            return CompletableFuture.completedFuture(null);
        }
        return client.sendAsync(HttpRequest.newBuilder(URI.create(url("/api/jobs?limit=100"))).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString())
                .handle((answer, failure) -> {
                    String kind = failure != null ? "failed: " + failure.getClass().getSimpleName()
                            : answer.statusCode() + " (" + size(answer.body()) + ")";
                    answers.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
                    return null;
                })
                .thenCompose(done -> readUntil(client, until, answers));
    }

    /** ms until /observe/health/live answered 200; 5000 when it did not within 5 s. */
    private long timeLiveness() {
        long start = System.nanoTime();
        try {
            HttpResponse<String> live = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url("/observe/health/live")))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (live.statusCode() != 200) {
                return 5000;
            }
        } catch (IOException e) {
            return 5000;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 5000;
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private long residentMegabytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static String size(String body) {
        return body.length() < 100_000 ? "<100 KB" : body.length() / 1000 + " KB";
    }

    private static void write(Socket socket, String text) {
        if (socket.isClosed()) {
            return;
        }
        try {
            OutputStream out = socket.getOutputStream();
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        } catch (IOException closedByTheServer) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }
}
