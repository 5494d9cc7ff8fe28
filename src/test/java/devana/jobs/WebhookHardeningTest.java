package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The webhook as an attacker and a clumsy sender meet it: the signature only from the header and over
 * the raw bytes, replays that change nothing, statuses that only move forward, the Standard Webhooks
 * scheme, and metric tags that pushes cannot multiply.
 */
class WebhookHardeningTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(20);
    private static final String SECRET = "whsec-hardening-test-91c7e2";
    private static final String POLL_ROUTE = "poll-devana-jobs-every-interval";

    @Test
    void takes_the_signature_from_the_header_only_never_from_the_query() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET));
        byte[] body = push("cm4jobQuerySig", "DONE", "EXTRACTION", "cm4docQ");
        String signature = Signed.devana(SECRET, body);

        HttpResponse<String> fromQuery = Http.post(app.url("/webhook/job-status?X-Devana-Signature="
                + java.net.URLEncoder.encode(signature, StandardCharsets.UTF_8)), body, Map.of("Content-Type", "application/json"));

        assertThat(fromQuery.statusCode()).isEqualTo(401);
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobQuerySig'")).isZero();
        assertThat(post(body, Map.of("X-Devana-Signature", signature)).statusCode()).isEqualTo(202);
    }

    @Test
    void verifies_the_raw_bytes_of_a_push_whatever_its_content_type() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET));
        for (String contentType : List.of("application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x")) {
            String id = "cm4jobForm" + Math.abs(contentType.hashCode());
            byte[] body = push(id, "DONE", "EXTRACTION", "cm4docForm");
            HttpResponse<String> answer = Http.post(app.url("/webhook/job-status"), body,
                    Map.of("Content-Type", contentType, "X-Devana-Signature", Signed.devana(SECRET, body)));
            assertThat(answer.statusCode()).as(contentType).isEqualTo(202);
            assertThat(app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", id)).as(contentType).isEqualTo(1);
        }
        byte[] large = ("{\"jobId\":\"cm4jobFormBig\",\"status\":\"PENDING\",\"type\":\"IMPORT\",\"metadata\":{\"note\":\""
                + "x".repeat(70_000) + "\"}}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> tooLarge = Http.post(app.url("/webhook/job-status"), large,
                Map.of("Content-Type", "application/x-www-form-urlencoded", "X-Devana-Signature", Signed.devana(SECRET, large)));
        assertThat(tooLarge.statusCode()).isEqualTo(413);
    }

    @Test
    void refuses_a_body_over_64_KiB_sent_without_a_length_with_413() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET));
        byte[] large = ("{\"jobId\":\"cm4jobChunked\",\"status\":\"PENDING\",\"type\":\"IMPORT\",\"metadata\":{\"note\":\""
                + "x".repeat(70_000) + "\"}}").getBytes(StandardCharsets.UTF_8);
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(app.url("/webhook/job-status")))
                .header("Content-Type", "application/json").header("X-Devana-Signature", Signed.devana(SECRET, large))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(large))).build();

        int status;
        try {
            status = HttpClient.newHttpClient().send(chunked, HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (java.io.IOException closedWhileSending) {
            status = -1;
        }

        assertThat(status).as("413, or the connection closed on the sender before it finished").isIn(413, -1);
        assertThat(app.counter("devana.webhooks", "outcome", "too_large")).isEqualTo(1);
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobChunked'")).isZero();
    }

    @Test
    void changes_nothing_when_an_accepted_push_is_replayed_even_after_its_state_is_pruned() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET));
        app.context().getRouteController().stopRoute(POLL_ROUTE);
        byte[] done = push("cm4jobReplayed", "DONE", "EXTRACTION", "cm4docR");
        byte[] running = push("cm4jobReplayedRunning", "IN_PROGRESS", "SYNC", "cm4srcR");
        Map<String, String> signed = Map.of("X-Devana-Signature", Signed.devana(SECRET, done));
        Map<String, String> signedRunning = Map.of("X-Devana-Signature", Signed.devana(SECRET, running));

        assertThat(Json.read(post(done, signed).body())).containsEntry("change", "NEW");
        assertThat(Json.read(post(running, signedRunning).body())).containsEntry("change", "NEW");
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 2);
        assertThat(Json.read(post(done, signed).body())).containsEntry("change", "REPLAY");

        // what housekeeping does once jobs.state.retention-hours have passed
        try (var connection = app.dataSource().getConnection(); var statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM job_state");
        }
        HttpResponse<String> afterPruning = post(done, signed);
        assertThat(afterPruning.statusCode()).isEqualTo(202);
        assertThat(Json.read(afterPruning.body())).containsEntry("change", "REPLAY");
        assertThat(Json.read(post(running, signedRunning).body())).containsEntry("change", "REPLAY");

        double published = app.counter("devana.events.published");
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0);
        assertThat(app.counter("devana.events.published")).isEqualTo(published);
        assertThat(app.receivedEvents()).hasSize(2);
        assertThat(app.count("SELECT COUNT(*) FROM job_completions")).isEqualTo(1);
        assertThat(app.count("SELECT COUNT(*) FROM job_state")).isZero();
        assertThat(app.counter("devana.webhooks", "outcome", "replay")).isEqualTo(3);
    }

    @Test
    void moves_a_jobs_status_only_forward_whatever_the_order_of_pushes_and_polls() throws Exception {
        String id = emulator.job().type("IMPORT").target("cm4srcOrder").status("IN_PROGRESS").progress(30).add();
        startApp(Map.of("devana.webhook.secret", SECRET));
        await().atMost(CYCLES).until(() -> eventTypes(id).size() == 1);
        app.context().getRouteController().stopRoute(POLL_ROUTE);

        assertThat(Json.read(post(push(id, "PENDING", "IMPORT", "cm4srcOrder")).body())).containsEntry("change", "STALE");
        assertThat(Json.read(post(push(id, "DONE", "IMPORT", "cm4srcOrder")).body())).containsEntry("change", "CHANGED");
        assertThat(Json.read(post(push(id, "IN_PROGRESS", "IMPORT", "cm4srcOrder")).body())).containsEntry("change", "STALE");
        assertThat(Json.read(post(push(id, "ERROR", "IMPORT", "cm4srcOrder")).body())).containsEntry("change", "STALE");
        assertThat(Json.read(post(push(id, "PENDING", "IMPORT", "cm4srcOrder")).body())).as("the first push again")
                .containsEntry("change", "REPLAY");

        // the API still shows the job running (the page was read before the push): the poll does not reopen it
        app.context().getRouteController().startRoute(POLL_ROUTE);
        long polls = emulator.requests().size();
        await().atMost(CYCLES).until(() -> emulator.requests().size() >= polls + 2);
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0);
        assertThat(eventTypes(id)).containsExactly("ai.devana.job.in_progress", "ai.devana.job.done");
        assertThat(app.rows("SELECT status FROM job_state WHERE job_id = ?", id)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("status", "DONE"));
        assertThat(app.count("SELECT COUNT(*) FROM job_retries")).isZero();
    }

    @Test
    void accepts_the_standard_webhooks_scheme_within_five_minutes_and_only_once_per_message_id() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET));
        byte[] body = push("cm4jobStandard", "DONE", "GENERATION", "cm4genS");
        long now = Instant.now().getEpochSecond();

        HttpResponse<String> accepted = post(body, standard("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, body));
        assertThat(accepted.statusCode()).isEqualTo(202);
        assertThat(Json.read(accepted.body())).containsEntry("change", "NEW");
        assertThat(Json.read(post(body, standard("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now + 1, body)).body()))
                .containsEntry("change", "REPLAY");

        byte[] late = push("cm4jobStandardLate", "DONE", "GENERATION", "cm4genS");
        assertThat(post(late, standard("msg_late", now - 600, late)).statusCode()).isEqualTo(401);
        Map<String, String> wrong = new HashMap<>(standard("msg_wrong", now, late));
        wrong.put("webhook-signature", Signed.standard("another-secret-of-24-bytes", "msg_wrong", now, late));
        HttpResponse<String> forged = post(late, wrong);
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat((String) Json.read(forged.body()).get("error")).contains("webhook-signature");
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobStandardLate'")).isZero();
    }

    @Test
    void refuses_to_start_with_a_webhook_secret_shorter_than_16_bytes_and_says_why() throws Exception {
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("devana.webhook.secret", "x");

        String failure = RunningApp.startupFailure(settings);

        assertThat(failure).contains("devana.webhook.secret (DEVANA_WEBHOOK_SECRET) is shorter than 16 bytes");
        assertThat(emulator.requests()).isEmpty();
    }

    @Test
    void keeps_metric_tags_to_the_values_the_api_documents_whatever_pushes_bring() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET));
        for (int i = 0; i < 300; i++) {
            byte[] body = push("cm4jobTag" + i, i % 3 == 0 ? "STATUS_" + i : "PENDING", "TYPE_" + i, "cm4doc" + i);
            assertThat(post(body).statusCode()).isEqualTo(202);
        }

        var registry = app.context().getRegistry().lookupByNameAndType("metricsRegistry", io.micrometer.core.instrument.MeterRegistry.class);
        Set<String> types = registry.find("devana.jobs.observed").counters().stream().map(c -> c.getId().getTag("type"))
                .collect(Collectors.toSet());
        Set<String> statuses = registry.find("devana.jobs.observed").counters().stream().map(c -> c.getId().getTag("status"))
                .collect(Collectors.toSet());
        assertThat(types).containsExactly("OTHER");
        assertThat(statuses).containsExactlyInAnyOrder("PENDING", "OTHER");
        assertThat(registry.getMeters()).as("all meters").hasSizeLessThan(400);
        assertThat(app.counter("devana.jobs.observed", "type", "OTHER")).isEqualTo(300);
    }

    private List<Object> eventTypes(String jobId) {
        return app.receivedEvents().stream().filter(e -> jobId.equals(e.get("subject"))).map(e -> e.get("type")).toList();
    }

    private Map<String, String> standard(String id, long timestamp, byte[] body) {
        return Map.of("webhook-id", id, "webhook-timestamp", String.valueOf(timestamp),
                "webhook-signature", Signed.standard(SECRET, id, timestamp, body));
    }

    private HttpResponse<String> post(byte[] body) {
        return post(body, Map.of("X-Devana-Signature", Signed.devana(SECRET, body)));
    }

    private HttpResponse<String> post(byte[] body, Map<String, String> headers) {
        Map<String, String> all = new HashMap<>(headers);
        all.put("Content-Type", "application/json");
        return Http.post(app.url("/webhook/job-status"), body, all);
    }

    private static byte[] push(String jobId, String status, String type, String targetId) {
        return ("{\"jobId\":\"" + jobId + "\",\"status\":\"" + status + "\",\"targetId\":\"" + targetId + "\",\"type\":\"" + type
                + "\",\"metadata\":{}}").getBytes(StandardCharsets.UTF_8);
    }
}
