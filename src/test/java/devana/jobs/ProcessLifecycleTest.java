package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The app as a real child JVM, configured only through environment variables, as in production. */
class ProcessLifecycleTest {

    /** The JVM options bin/devana-jobs runs the app with (its small heap included), read from the script. */
    private static final List<String> LAUNCHER_JVM_OPTIONS = launcherDefaults();

    @TempDir
    Path dataDir;

    private DevanaEmulator emulator;
    private Process process;

    @BeforeEach
    void startEmulator() {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
    }

    @AfterEach
    void stop() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
        emulator.close();
    }

    @Test
    void stops_cleanly_with_exit_code_zero_on_sigterm() throws Exception {
        String done = emulator.job().type("EXTRACTION").status("DONE").progress(100).add();
        Path log = dataDir.resolve("app.log");
        process = launch(Map.of(), log);
        await().atMost(Duration.ofSeconds(40)).until(() -> Files.readString(log).contains("completion recorded: job " + done));

        long stopping = System.nanoTime();
        process.destroy();
        assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("stopped within 15 s").isTrue();
        Duration took = Duration.ofNanos(System.nanoTime() - stopping);

        assertThat(process.exitValue()).isZero();
        assertThat(took).isLessThan(Duration.ofSeconds(10));
        try (Connection db = DriverManager.getConnection(jdbcUrl());
             ResultSet rs = db.createStatement().executeQuery("SELECT COUNT(*) FROM job_completions")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void refuses_to_start_with_a_poll_interval_below_two_seconds_and_says_why() throws Exception {
        Path log = dataDir.resolve("app.log");
        process = launch(Map.of("DEVANA_POLL_INTERVAL", "500"), log);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log)).contains("devana-jobs did not start: devana.poll.interval (DEVANA_POLL_INTERVAL) is 500 ms");
        assertThat(emulator.requests()).isEmpty();
    }

    @Test
    void never_writes_the_api_key_to_its_output() throws Exception {
        emulator.setApiKey("s3cr3t-key-that-must-not-leak");
        emulator.job().type("EMBEDDING").status("ERROR").target("cm4folderX").add();
        emulator.injectFault("POST /v1/folders", devana.emulator.Fault.status(503), 1);
        Path log = dataDir.resolve("app.log");
        process = launch(Map.of("DEVANA_API_KEY", "s3cr3t-key-that-must-not-leak", "JOBS_LOG_LEVEL", "DEBUG"), log);
        await().atMost(Duration.ofSeconds(40)).until(() -> emulator.retryRequests().size() == 1);
        process.destroy();
        process.waitFor(15, TimeUnit.SECONDS);
        assertThat(Files.readString(log)).contains("retry POST failed").doesNotContain("s3cr3t-key-that-must-not-leak");
    }

    @Test
    void takes_its_secrets_from_the_environment_and_never_writes_them_to_its_output() throws Exception {
        String secret = "whsec-must-not-leak-7c1e";
        String login = "ops:viewer-pass-must-not-leak";
        int port = RunningApp.freePort();
        Path log = dataDir.resolve("app.log");
        process = launch(Map.of("DEVANA_WEBHOOK_SECRET", secret, "JOBS_HTTP_VIEWER_LOGIN", login,
                "CAMEL_SERVER_PORT", String.valueOf(port), "JOBS_LOG_LEVEL", "DEBUG"), log);
        await().atMost(Duration.ofSeconds(40)).until(() -> Files.readString(log).contains("webhook on"));
        await().atMost(Duration.ofSeconds(40)).ignoreExceptions()
                .until(() -> Http.get("http://127.0.0.1:" + port + "/observe/health/ready").statusCode() == 200);
        assertThat(Http.get("http://127.0.0.1:" + port + "/api/stats").statusCode()).isEqualTo(401);
        assertThat(Http.get("http://127.0.0.1:" + port + "/api/stats", Http.basic(login)).statusCode()).isEqualTo(200);
        emulator.sendWebhooks("http://127.0.0.1:" + port + "/webhook/job-status", secret);
        String id = emulator.job().type("SYNC").status("PENDING").add();
        emulator.update(id, "IN_PROGRESS", 5);
        await().atMost(Duration.ofSeconds(20)).until(() -> emulator.webhookDeliveries().size() == 1);
        assertThat(emulator.webhookDeliveries().get(0).httpStatus()).isEqualTo(202);
        emulator.sendWebhooks("http://127.0.0.1:" + port + "/webhook/job-status", "a-wrong-secret");
        emulator.update(id, "DONE", 100);
        await().atMost(Duration.ofSeconds(20)).until(() -> emulator.webhookDeliveries().size() == 2);
        assertThat(emulator.webhookDeliveries().get(1).httpStatus()).isEqualTo(401);

        process.destroy();
        process.waitFor(15, TimeUnit.SECONDS);
        assertThat(Files.readString(log)).contains("webhook push refused (HTTP 401)").doesNotContain(secret)
                .doesNotContain("viewer-pass-must-not-leak");
    }

    @Test
    void says_in_one_line_a_cycle_that_the_api_cannot_be_reached_and_keeps_running() throws Exception {
        Path log = dataDir.resolve("app.log");
        int nobodyListens = RunningApp.freePort();
        int port = RunningApp.freePort();
        process = launch(Map.of("DEVANA_BASE_URL", "http://127.0.0.1:" + nobodyListens, "CAMEL_SERVER_PORT", String.valueOf(port),
                "DEVANA_BACKOFF_BASE", "100", "DEVANA_BACKOFF_MAX", "200"), log);
        await().atMost(Duration.ofSeconds(40)).ignoreExceptions().until(() ->
                metric(port, "devana_cycle_failures_total{account=\"default\",kind=\"api-unreachable\"}") >= 3);
        assertThat(process.isAlive()).isTrue();
        assertThat(Files.readString(log)).as("one line for the failure that repeats every cycle (once a minute), no stack trace")
                .contains("cycle abandoned (poll-devana-jobs-every-interval): cannot reach the Devana API: HttpHostConnectException")
                .doesNotContain("Exception occurred while trying to handle").doesNotContain("\tat ");
        assertThat(Files.readString(log).split("cannot reach the Devana API", -1)).hasSize(2);
    }

    /** A value of the app's Prometheus scrape, by its name and labels as printed there. */
    private static double metric(int port, String series) {
        return Http.get("http://127.0.0.1:" + port + "/observe/metrics").body().lines()
                .filter(line -> line.startsWith(series + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
                .sum();
    }

    @Test
    void survives_a_ten_megabyte_page_in_the_launchers_small_heap() throws Exception {
        String huge = "{\"success\":true,\"data\":[" + "{\"id\":\"x\"},".repeat(1_000_000) + "{\"id\":\"y\"}]}";
        emulator.injectFault("GET /v1/jobs", new devana.emulator.Fault(200, "application/json", huge, Map.of(), null), 1);
        String done = emulator.job().type("EMBEDDING").status("DONE").add();
        Path log = dataDir.resolve("app.log");
        process = launch(Map.of(), log);
        await().atMost(Duration.ofSeconds(40)).until(() -> Files.readString(log).contains("completion recorded: job " + done));
        assertThat(process.isAlive()).isTrue();
        assertThat(Files.readString(log)).contains("has more jobs than the limit of 100").doesNotContain("OutOfMemoryError");
    }

    @Test
    void loses_and_repeats_nothing_when_killed_mid_cycle_and_started_again() throws Exception {
        emulator.setRetryOutcome((target, type) -> devana.emulator.RetryOutcome.STAY_PENDING);
        java.util.Set<String> done = new java.util.HashSet<>();
        for (int i = 0; i < 150; i++) {
            done.add(emulator.job().type("GENERATION").status("DONE").progress(100).add());
        }
        for (int i = 0; i < 12; i++) {
            emulator.job().type(i % 2 == 0 ? "EXTRACTION" : "EMBEDDING").target("cm4target" + i).status("ERROR").add();
        }
        List<String> received;
        try (EventSink sink = new EventSink()) {
            // Each failure older than a run costs a look-up GET besides its POST: 24 retry requests here, more
            // than the default share of 20 a minute. The budget has its own tests; this one is about the crash.
            Map<String, String> env = Map.of("JOBS_EVENTS_URI", sink.uri(), "DEVANA_RATE_LIMIT_RETRY_SHARE_PERCENT", "40");
            Path log = dataDir.resolve("first.log");
            process = launch(env, log);
            await().atMost(Duration.ofSeconds(40)).until(() -> sink.received().size() >= Integer.getInteger("killAfter", 20));
            process.destroyForcibly();
            assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("killed, not stopped").isNotZero();

            Path second = dataDir.resolve("second.log");
            int port = RunningApp.freePort();
            process = launch(with(env, "CAMEL_SERVER_PORT", String.valueOf(port)), second);
            try {
                // Done is what the second run's own state says, not what the bus has seen: events the first run
                // published can come before the second run has taken back the claims its kill lost.
                await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> {
                    Map<String, Object> stats = Json.read(Http.get("http://127.0.0.1:" + port + "/api/stats").body());
                    assertThat(stats).extractingByKey("retries").as("retries decided")
                            .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("REQUESTED", 12);
                    assertThat(stats.get("events_pending")).as("events not yet published").isEqualTo(0);
                    assertThat(emulator.retryRequests()).as("retry POSTs received").hasSizeGreaterThanOrEqualTo(12);
                    assertThat(sink.ids().stream().distinct().count()).as("distinct events received")
                            .isGreaterThanOrEqualTo(150 + 12 + 12 + 12);
                });
            } catch (AssertionError | org.awaitility.core.ConditionTimeoutException e) {
                // The child JVMs' own words are the only clue to a stall: keep them in the report.
                System.err.println("--- first run (killed) ---\n" + tail(log, 80) + "\n--- second run ---\n" + tail(second, 200)
                        + "\n--- emulator: " + emulator.requests().size() + " requests, " + emulator.retryRequests().size() + " retry POSTs");
                throw e;
            }
            process.destroy();
            assertThat(process.waitFor(15, TimeUnit.SECONDS)).isTrue();
            received = sink.ids();
        }
        assertThat(emulator.retryRequests()).extracting(r -> r.targetId()).as("one retry per failed job, none repeated")
                .hasSize(12).doesNotHaveDuplicates();
        try (Connection db = DriverManager.getConnection(jdbcUrl())) {
            assertThat(count(db, "SELECT COUNT(*) FROM job_completions")).isEqualTo(150);
            assertThat(count(db, "SELECT COUNT(*) FROM job_retries WHERE outcome = 'REQUESTED'")).isEqualTo(12);
            List<String> outbox = new java.util.ArrayList<>();
            try (ResultSet rs = db.createStatement().executeQuery("SELECT event_id FROM job_events")) {
                while (rs.next()) {
                    outbox.add(rs.getString(1));
                }
            }
            assertThat(received).as("every event of both runs reached the bus").containsAll(outbox);
        }
    }

    private static Map<String, String> with(Map<String, String> env, String key, String value) {
        Map<String, String> more = new java.util.HashMap<>(env);
        more.put(key, value);
        return more;
    }

    private static List<String> launcherDefaults() {
        try {
            java.util.regex.Matcher defaults = java.util.regex.Pattern.compile("JAVA_OPTS-([^}]*)}")
                    .matcher(Files.readString(Path.of("bin/devana-jobs")));
            assertThat(defaults.find()).as("bin/devana-jobs names its default JVM options").isTrue();
            return List.of(defaults.group(1).trim().split("\\s+"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String tail(Path log, int lines) throws java.io.IOException {
        List<String> all = Files.readAllLines(log);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static long count(Connection db, String sql) throws Exception {
        try (ResultSet rs = db.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Process launch(Map<String, String> env, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java));
        command.addAll(LAUNCHER_JVM_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), DevanaJobs.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(new File(System.getProperty("user.dir")))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.put("DEVANA_BASE_URL", emulator.baseUrl());
        environment.put("DEVANA_API_KEY", emulator.apiKey());
        environment.put("DEVANA_POLL_INTERVAL", "2000");
        environment.put("JOBS_DB_URL", jdbcUrl());
        environment.put("CAMEL_SERVER_PORT", String.valueOf(RunningApp.freePort()));
        environment.putAll(env);
        return builder.start();
    }

    private String jdbcUrl() {
        return "jdbc:h2:file:" + dataDir.resolve("devana-jobs").toAbsolutePath();
    }
}
