package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.WebhookDelivery;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** POST /webhook/job-status over real HTTP: the emulator pushes signed webhooks, the app records them. */
class WebhookTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(20);
    private static final String SECRET = "whsec-test-3f9a1c";
    private static final String POLL_ROUTE = "poll-devana-jobs-every-interval";

    private RunningApp startAppWithSecret(String secret) {
        startApp(secret == null ? Map.of() : Map.of("devana.webhook.secret", secret));
        emulator.sendWebhooks(app.url("/webhook/job-status"), SECRET);
        return app;
    }

    @Test
    void answers_503_and_says_why_when_no_secret_is_configured() throws Exception {
        startAppWithSecret(null);
        byte[] body = push("cm4jobNoSecret", "DONE", "EXTRACTION");

        HttpResponse<String> response = post(body, sign(SECRET, body));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(Json.read(response.body())).containsEntry("accepted", false)
                .hasEntrySatisfying("error", e -> assertThat((String) e).contains("DEVANA_WEBHOOK_SECRET"));
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobNoSecret'")).isZero();
    }

    @Test
    void refuses_a_missing_wrong_or_malformed_signature_with_401_and_records_nothing() throws Exception {
        startAppWithSecret(SECRET);
        byte[] body = push("cm4jobForged", "DONE", "EXTRACTION");
        byte[] tampered = push("cm4jobForged", "ERROR", "EXTRACTION");

        assertThat(post(body, null).statusCode()).isEqualTo(401);
        assertThat(post(body, sign("not-the-secret", body)).statusCode()).isEqualTo(401);
        assertThat(post(tampered, sign(SECRET, body)).statusCode()).isEqualTo(401);
        assertThat(post(body, "sha256=" + "zz".repeat(32)).statusCode()).isEqualTo(401);
        assertThat(post(body, sign(SECRET, body).substring(0, 40)).statusCode()).isEqualTo(401);
        HttpResponse<String> refused = post(body, "sha1=" + sign(SECRET, body).substring(7));
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(Json.read(refused.body())).containsEntry("accepted", false)
                .hasEntrySatisfying("error", e -> assertThat((String) e).contains("X-Devana-Signature"));

        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobForged'")).isZero();
        assertThat(app.counter("devana.webhooks", "outcome", "unauthorized")).isEqualTo(6);
    }

    @Test
    void refuses_a_malformed_push_with_400_and_says_what_is_wrong() throws Exception {
        startAppWithSecret(SECRET);
        Map<String, String> malformed = Map.of(
                "not json", "the body is not JSON",
                "[1,2]", "must be a JSON object",
                "{\"status\":\"DONE\",\"type\":\"EXTRACTION\"}", "jobId is missing",
                "{\"jobId\":\"cm4job1\",\"status\":\"DONE\",\"type\":\"EXTRACTION\",\"metadata\":\"x\"}", "metadata must be a JSON object",
                "{\"jobId\":\"cm4 job\",\"status\":\"DONE\",\"type\":\"EXTRACTION\"}", "'jobId' is not a printable token",
                "{\"jobId\":\"cm4job2\",\"status\":\"DONE\",\"type\":\"EXTRACTION\",\"targetId\":7}", "targetId must be a string");
        for (Map.Entry<String, String> bad : malformed.entrySet()) {
            byte[] body = bad.getKey().getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> response = post(body, sign(SECRET, body));
            assertThat(response.statusCode()).as(bad.getKey()).isEqualTo(400);
            assertThat((String) Json.read(response.body()).get("error")).as(bad.getKey()).contains(bad.getValue());
        }
        assertThat(app.count("SELECT COUNT(*) FROM job_state")).isZero();
    }

    @Test
    void takes_a_body_of_64_KiB_and_refuses_one_byte_more_with_413() throws Exception {
        startAppWithSecret(SECRET);
        byte[] limit = paddedPush("cm4jobBig", 64 * 1024);
        byte[] over = paddedPush("cm4jobBigger", 64 * 1024 + 1);

        assertThat(post(limit, sign(SECRET, limit)).statusCode()).isEqualTo(202);
        HttpResponse<String> refused = post(over, sign(SECRET, over));
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat((String) Json.read(refused.body()).get("error")).contains("at most 65536");
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobBigger'")).isZero();
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobBig'")).isEqualTo(1);
    }

    @Test
    void answers_only_post() {
        startAppWithSecret(SECRET);
        assertThat(Http.get(app.url("/webhook/job-status")).statusCode()).isEqualTo(405);
    }

    @Test
    void records_a_signed_push_like_a_polled_job_with_its_completion_and_event() throws Exception {
        startAppWithSecret(SECRET);
        byte[] body = ("{\"jobId\":\"cm4jobPushed\",\"status\":\"DONE\",\"targetId\":\"cm4docP\",\"type\":\"EXTRACTION\","
                + "\"metadata\":{\"fileName\":\"rapport.pdf\",\"pageCount\":12},\"deliveryId\":\"d-1\"}").getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = post(body, sign(SECRET, body));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(Json.read(response.body())).containsEntry("accepted", true).containsEntry("jobId", "cm4jobPushed")
                .containsEntry("status", "DONE").containsEntry("change", "NEW");
        assertThat(response.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("jobId") || h.equalsIgnoreCase("X-Devana-Signature"));
        assertThat(app.rows("SELECT target_id, job_type, completed_at FROM job_completions WHERE job_id = 'cm4jobPushed'"))
                .singleElement().satisfies(row -> assertThat(row).containsEntry("target_id", "cm4docP")
                        .containsEntry("job_type", "EXTRACTION").doesNotContainEntry("completed_at", null));
        await().atMost(CYCLES).until(() -> eventsOf("cm4jobPushed").size() == 1);
        Map<String, Object> event = eventsOf("cm4jobPushed").get(0);
        assertThat(event).containsEntry("type", "ai.devana.job.done").containsEntry("targetid", "cm4docP");
        assertThat((Map<String, Object>) event.get("data")).containsEntry("id", "cm4jobPushed").containsEntry("progress", 100)
                .containsEntry("deliveryId", "d-1").containsKey("metadata");
        assertThat(app.counter("devana.jobs.observed", "source", "webhook")).isEqualTo(1);
    }

    @Test
    void a_done_push_and_a_later_poll_of_the_same_state_make_one_event() throws Exception {
        String id = emulator.job().type("EMBEDDING").status("IN_PROGRESS").progress(40).add();
        startAppWithSecret(SECRET);
        await().atMost(CYCLES).until(() -> eventsOf(id).size() == 1);
        app.context().getRouteController().stopRoute(POLL_ROUTE);

        emulator.update(id, "DONE", 100);
        await().atMost(CYCLES).until(() -> deliveriesOf(id).size() == 1);
        assertThat(deliveriesOf(id).get(0).httpStatus()).isEqualTo(202);
        assertThat(Json.read(deliveriesOf(id).get(0).responseBody())).containsEntry("change", "CHANGED");
        await().atMost(CYCLES).until(() -> eventsOf(id).size() == 2);

        long polls = getJobsRequests();
        app.context().getRouteController().startRoute(POLL_ROUTE);
        await().atMost(CYCLES).until(() -> getJobsRequests() >= polls + 2);
        assertThat(eventsOf(id)).extracting(e -> e.get("type")).containsExactly("ai.devana.job.in_progress", "ai.devana.job.done");
        assertThat(app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", id)).isEqualTo(1);
        assertThat(app.rows("SELECT status, progress, updated_at FROM job_state WHERE job_id = ?", id)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("status", "DONE").containsEntry("progress", 100)
                        .doesNotContainEntry("updated_at", null));
    }

    @Test
    void a_failure_pushed_before_the_poll_is_one_error_event_and_the_poll_fills_in_its_progress() throws Exception {
        String id = emulator.job().type("SYNC").status("IN_PROGRESS").progress(45).add();
        startAppWithSecret(SECRET);
        await().atMost(CYCLES).until(() -> eventsOf(id).size() == 1);
        app.context().getRouteController().stopRoute(POLL_ROUTE);

        emulator.fail(id, "SharePoint authentication expired");
        await().atMost(CYCLES).until(() -> eventsOf(id).size() == 2);
        Map<String, Object> error = eventsOf(id).get(1);
        assertThat(error).containsEntry("type", "ai.devana.job.error");
        assertThat((Map<String, Object>) error.get("data")).containsEntry("error", "SharePoint authentication expired")
                .doesNotContainKey("progress");

        long polls = getJobsRequests();
        app.context().getRouteController().startRoute(POLL_ROUTE);
        await().atMost(CYCLES).until(() -> getJobsRequests() >= polls + 2);
        assertThat(eventsOf(id)).extracting(e -> e.get("type")).containsExactly("ai.devana.job.in_progress", "ai.devana.job.error");
        assertThat(app.rows("SELECT status, progress FROM job_state WHERE job_id = ?", id)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("status", "ERROR").containsEntry("progress", 45));
    }

    @Test
    void a_push_of_a_state_the_poll_already_saw_is_accepted_and_announces_nothing() throws Exception {
        String id = emulator.job().type("IMPORT").status("IN_PROGRESS").progress(70).add();
        startAppWithSecret(SECRET);
        await().atMost(CYCLES).until(() -> eventsOf(id).size() == 1);

        WebhookDelivery again = emulator.pushWebhook(id);

        assertThat(again.httpStatus()).isEqualTo(202);
        assertThat(Json.read(again.responseBody())).containsEntry("change", "UNCHANGED");
        long polls = getJobsRequests();
        await().atMost(CYCLES).until(() -> getJobsRequests() >= polls + 1);
        assertThat(eventsOf(id)).hasSize(1);
    }

    @Test
    void a_late_push_of_an_earlier_status_never_reopens_a_finished_job() throws Exception {
        String id = emulator.job().type("GENERATION").status("DONE").progress(100).add();
        startAppWithSecret(SECRET);
        await().atMost(CYCLES).until(() -> eventsOf(id).size() == 1);
        Map<String, Object> job = emulator.jobJson(id);
        byte[] late = ("{\"jobId\":\"" + id + "\",\"status\":\"IN_PROGRESS\",\"targetId\":\"" + job.get("targetId")
                + "\",\"type\":\"GENERATION\",\"metadata\":{}}").getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = post(late, sign(SECRET, late));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(Json.read(response.body())).containsEntry("change", "STALE");
        assertThat(app.rows("SELECT status FROM job_state WHERE job_id = ?", id)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("status", "DONE"));
        assertThat(eventsOf(id)).hasSize(1);
    }

    @Test
    void the_emulator_pushes_each_status_change_of_a_running_job_and_every_push_is_accepted() throws Exception {
        String id = emulator.job().type("TRANSCRIPTION").status("PENDING").add();
        startAppWithSecret(SECRET);
        emulator.update(id, "IN_PROGRESS", 10);
        emulator.update(id, "IN_PROGRESS", 60);
        emulator.update(id, "DONE", 100);

        await().atMost(CYCLES).until(() -> deliveriesOf(id).size() == 2);
        assertThat(deliveriesOf(id)).extracting(d -> d.status() + ":" + d.httpStatus())
                .containsExactly("IN_PROGRESS:202", "DONE:202");
        await().atMost(CYCLES).until(() -> eventsOf(id).stream().anyMatch(e -> "ai.devana.job.done".equals(e.get("type"))));
        assertThat(eventsOf(id)).extracting(e -> e.get("type")).filteredOn("ai.devana.job.done"::equals).hasSize(1);
        assertThat(eventsOf(id)).extracting(e -> e.get("id")).doesNotHaveDuplicates();
    }

    private List<Map<String, Object>> eventsOf(String jobId) {
        return app.receivedEvents().stream().filter(e -> jobId.equals(e.get("subject"))).toList();
    }

    private List<WebhookDelivery> deliveriesOf(String jobId) {
        return emulator.webhookDeliveries().stream().filter(d -> jobId.equals(d.jobId())).toList();
    }

    private long getJobsRequests() {
        return emulator.requests().stream().filter(r -> r.method().equals("GET")).count();
    }

    private HttpResponse<String> post(byte[] body, String signature) {
        return Http.post(app.url("/webhook/job-status"), body, signature == null
                ? Map.of("Content-Type", "application/json")
                : Map.of("Content-Type", "application/json", "X-Devana-Signature", signature));
    }

    private static byte[] push(String jobId, String status, String type) {
        return ("{\"jobId\":\"" + jobId + "\",\"status\":\"" + status + "\",\"targetId\":\"cm4doc1\",\"type\":\"" + type
                + "\",\"metadata\":{}}").getBytes(StandardCharsets.UTF_8);
    }

    /** A valid push of exactly {@code size} bytes. */
    private static byte[] paddedPush(String jobId, int size) {
        String head = "{\"jobId\":\"" + jobId + "\",\"status\":\"PENDING\",\"type\":\"IMPORT\",\"metadata\":{\"note\":\"";
        String tail = "\"}}";
        return (head + "x".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }

    private static String sign(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }
}
