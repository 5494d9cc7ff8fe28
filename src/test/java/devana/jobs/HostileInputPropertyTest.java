package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.emulator.Fault;
import devana.emulator.JobBuilder;
import devana.emulator.RetryOutcome;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Generated hostile values in every field of polled jobs and of signed pushes (ids, targetId, type,
 * status, error, metadata, progress, dates: URL syntax, property placeholders, encodings, control
 * characters, huge sizes, wrong JSON types), through the real routes and the emulator. Whatever comes:
 * every request the emulator receives is one of the API's calls, a push gets a clear answer, the cycles go
 * on (a job added afterwards is recorded, readiness is UP, nothing logged a stack trace), and the API key
 * appears in no log line, no event, no /api answer, no stored error and no request line.
 */
class HostileInputPropertyTest {

    private static final String SECRET = "whsec-property-test-0c5d17a9";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dataDir;
    private DevanaEmulator emulator;
    private RunningApp app;
    private LogCapture log;
    private String apiKey;

    @BeforeProperty
    void startTheAppOnTheEmulator() throws IOException {
        dataDir = Files.createTempDirectory("devana-hostile-");
        apiKey = "k3y-" + UUID.randomUUID();
        emulator = DevanaEmulator.start(EmulatorOptions.forTests().withRateLimitPerMinute(0).withMaxVisibleJobs(2000));
        emulator.setApiKey(apiKey);
        emulator.setRetryOutcome((target, type) -> RetryOutcome.STAY_PENDING);
        // some retry POSTs fail: they are claimed FAILED and sent again, by the claim's pinned target
        emulator.injectFault("POST /v1/documents", Fault.status(503), 5);
        log = new LogCapture();
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("devana.webhook.secret", SECRET);
        // every cycle reads every page, so that every generated job is seen
        settings.put("devana.poll.strategy", "full");
        settings.put("devana.rate-limit.per-minute", "1000");
        app = RunningApp.start(settings);
    }

    @AfterProperty
    void theCyclesGoOnAndNothingLeaked() throws Exception {
        try {
            String sentinel = emulator.job().type("SYNC").target("cm4srcSentinel").status("DONE").progress(100).add();
            await().atMost(Duration.ofSeconds(40)).until(() ->
                    app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", sentinel) == 1);
            double cycles = app.counter("devana.poll.cycles");
            await().atMost(Duration.ofSeconds(30)).until(() -> app.counter("devana.poll.cycles") >= cycles + 2);
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0);

            assertThat(emulator.requests()).allSatisfy(r -> assertThat(OnContract.violation(r)).as(r.toString()).isNull());
            assertThat(Http.get(app.url("/observe/health/ready")).statusCode()).isEqualTo(200);
            assertThat(log.text()).doesNotContain(apiKey).doesNotContain("\tat ");
            assertThat(app.receivedEvents()).allSatisfy(event -> assertThat(Json.quote(event)).doesNotContain(apiKey));
            for (String path : List.of("/api/jobs?limit=100", "/api/stats", "/api/jobs?status=ERROR&limit=100")) {
                HttpResponse<String> answer = Http.get(app.url(path));
                assertThat(answer.statusCode()).as(path).isEqualTo(200);
                assertThat(answer.body()).as(path).doesNotContain(apiKey);
            }
            assertThat(app.rows("SELECT last_error FROM job_retries WHERE last_error IS NOT NULL"))
                    .allSatisfy(row -> assertThat((String) row.get("last_error")).doesNotContain(apiKey));
            assertThat(emulator.requests()).allSatisfy(r -> assertThat(r.path() + "?" + r.query()).doesNotContain(apiKey));
        } finally {
            app.close();
            emulator.close();
            log.close();
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            }
        }
    }

    @Property(tries = 120)
    void polled_jobs_with_hostile_fields_bend_no_request(@ForAll("hostileJobs") List<Map<String, Object>> jobs) {
        for (Map<String, Object> job : jobs) {
            add(job);
        }
        assertThat(emulator.requests()).allSatisfy(r -> assertThat(OnContract.violation(r)).as(r.toString()).isNull());
    }

    @Property(tries = 200)
    void signed_pushes_with_hostile_fields_bend_no_request_and_get_a_clear_answer(@ForAll("hostilePushes") byte[] body) {
        HttpResponse<String> answer = Http.post(app.url("/webhook/job-status"), body,
                Map.of("Content-Type", "application/json", "X-Devana-Signature", Signed.devana(SECRET, body)));

        assertThat(answer.statusCode()).as(answer.body()).isIn(202, 400, 413);
        assertThat(Json.read(answer.body())).containsKey("accepted");
        assertThat(answer.body()).doesNotContain(apiKey);
        assertThat(emulator.requests()).allSatisfy(r -> assertThat(OnContract.violation(r)).as(r.toString()).isNull());
    }

    /** Adds a generated job: its documented fields through the builder, the hostile values as its JSON. */
    private void add(Map<String, Object> job) {
        JobBuilder builder = emulator.job()
                .type(job.get("type") instanceof String type ? type : "EXTRACTION")
                .status(job.get("status") instanceof String status ? status : "ERROR")
                .target(job.get("targetId") instanceof String target ? target : "cm4docPlain");
        job.forEach(builder::extra);
        builder.add();
    }

    @Provide
    Arbitrary<List<Map<String, Object>>> hostileJobs() {
        return job().list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<byte[]> hostilePushes() {
        Arbitrary<byte[]> pushes = Combinators.combine(jsonValue(), status(), type(), jsonValue(), metadata(), jsonValue())
                .as(HostileInputPropertyTest::push);
        Arbitrary<byte[]> wellFormed = Combinators.combine(id(), status(), type(), hostileText(), metadata())
                .as((jobId, status, type, targetId, metadata) -> push(jobId, status, type, targetId, metadata, null));
        Arbitrary<byte[]> notJson = hostileText().map(text -> text.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, wellFormed), net.jqwik.api.Tuple.of(4, pushes), net.jqwik.api.Tuple.of(1, notJson));
    }

    /** A push body {jobId, status, targetId, type, metadata} and, when not null, a field the push does not name. */
    private static byte[] push(Object jobId, Object status, Object type, Object targetId, Object metadata, Object extra) {
        Map<String, Object> push = new LinkedHashMap<>();
        push.put("jobId", jobId);
        push.put("status", status);
        push.put("targetId", targetId);
        push.put("type", type);
        push.put("metadata", metadata);
        if (extra != null) {
            push.put("deliveryId", extra);
        }
        return write(push);
    }

    private Arbitrary<Map<String, Object>> job() {
        return Combinators.combine(
                        Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, id().map(Object.class::cast)),
                                net.jqwik.api.Tuple.of(1, jsonValue())),
                        type(), status(), hostileText(), hostileText(), metadata(), jsonValue(), jsonValue())
                .as((id, type, status, targetId, error, metadata, progress, date) -> {
                    Map<String, Object> job = new LinkedHashMap<>();
                    job.put("id", id);
                    job.put("type", type);
                    job.put("status", status);
                    job.put("targetId", targetId);
                    job.put("error", error);
                    job.put("metadata", metadata);
                    job.put("progress", progress);
                    job.put("updatedAt", date);
                    job.put("createdAt", date instanceof String ? date : "2026-12-01T10:00:00.000Z");
                    return job;
                });
    }

    private static Arbitrary<String> id() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.strings().withCharRange('a', 'z').numeric().ofMinLength(6).ofMaxLength(24)
                        .map(s -> "cm4" + s)),
                net.jqwik.api.Tuple.of(2, hostileText()));
    }

    private static Arbitrary<String> type() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.of("EXTRACTION", "EMBEDDING")),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("SYNC", "IMPORT", "TRANSCRIPTION", "GENERATION", "OCR")),
                net.jqwik.api.Tuple.of(2, hostileText()));
    }

    private static Arbitrary<String> status() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.of("ERROR")),
                net.jqwik.api.Tuple.of(2, Arbitraries.of("PENDING", "IN_PROGRESS", "DONE", "KILLED")),
                net.jqwik.api.Tuple.of(2, hostileText()));
    }

    private static Arbitrary<Object> metadata() {
        Arbitrary<Object> map = Arbitraries.maps(fragmentText(), jsonValue()).ofMaxSize(4).map(Object.class::cast);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, map), net.jqwik.api.Tuple.of(1, jsonValue()));
    }

    /** Any JSON value: hostile text, numbers at the edges, booleans, null, nested objects and arrays. */
    private static Arbitrary<Object> jsonValue() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, hostileText().map(Object.class::cast)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(0, -1, 50, 100, 101, Integer.MAX_VALUE, Long.MIN_VALUE, 1e308, -0.0, 12.5)
                        .map(Object.class::cast)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(true, false).map(Object.class::cast)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just((Object) null)),
                net.jqwik.api.Tuple.of(1, hostileText().list().ofMaxSize(3).map(Object.class::cast)),
                net.jqwik.api.Tuple.of(1, Arbitraries.maps(fragmentText(), hostileText()).ofMaxSize(2)
                        .map(Object.class::cast)));
    }

    /** Text made of what bends URLs, placeholders, encodings and terminals, and of what is merely big. */
    private static Arbitrary<String> hostileText() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(12, fragmentText()),
                // any character of the basic plane but the surrogates (a lone one is no text: Jackson refuses to write it)
                net.jqwik.api.Tuple.of(4, Arbitraries.strings().withCharRange('\u0000', '\uD7FF').ofMaxLength(24)),
                net.jqwik.api.Tuple.of(2, Arbitraries.strings().withCharRange('a', 'z').ofLength(5000)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just("h".repeat(300_000))));
    }

    private static final List<String> FRAGMENTS = List.of(
            "cm4doc", "x", "..", "/", "%2F", "%2e%2e", "%252F", "%00", "%", "?", "&", "#", "=", "+", " ", "\\",
            "?httpMethod=DELETE&z=", "&proxyHost=127.0.0.1&proxyPort=9&", "http://evil.example/", "//evil.example",
            "{{devana.api-key}}", "{{env:DEVANA_API_KEY}}", "{{sys:user.home}}", "${header.CamelHttpUri}", "${exchangeProperty.x}",
            "$simple{sys.user.home}", "#bean:x", "RAW(x)", "\n", "\r\n", "\t", "\u0000", "\u0007", "\u001b[2J", "\u001b]0;t\u0007",
            "\u009b", "\u202e", "\u2028", "\uFEFF", "é", "中", "\ud83d\ude00", "'; DROP TABLE job_state; --",
            "\"", "<script>", "::error::", "${jndi:ldap://x}");

    private static Arbitrary<String> fragmentText() {
        return Arbitraries.of(FRAGMENTS).list().ofMinSize(1).ofMaxSize(6).map(parts -> String.join("", parts));
    }

    private static byte[] write(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
