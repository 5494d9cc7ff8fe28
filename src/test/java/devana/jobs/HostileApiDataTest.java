package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.Fault;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What hostile data from the API or a signed push can do to the requests the app sends and to its cycles:
 * nothing. Every request the emulator receives stays on the contract; a retry goes to the target it was
 * decided for; an oversized or unreadable job costs one line a minute, not the cycle.
 */
class HostileApiDataTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(20);
    private static final String SECRET = "whsec-hostile-data-test-4b1d";

    private LogCapture log;

    @BeforeEach
    void captureLog() {
        log = new LogCapture();
    }

    @AfterEach
    void stopCapture() {
        log.close();
    }

    @Test
    void sends_a_retry_again_to_the_target_it_was_decided_for_whatever_a_later_sighting_says() throws Exception {
        String failed = emulator.job().type("EXTRACTION").target("cm4docPinned").status("ERROR").add();
        emulator.injectFault("POST /v1/documents", Fault.status(404), 1);
        try (ServerSocket proxy = new ServerSocket(0)) {
            proxy.setSoTimeout(1);
            startApp(Map.of("devana.webhook.secret", SECRET));
            await().atMost(CYCLES).until(() -> app.rows("SELECT outcome, http_status FROM job_retries").stream()
                    .anyMatch(r -> "FAILED".equals(r.get("outcome")) && Integer.valueOf(404).equals(r.get("http_status"))));

            // a signed push that refines the failed job (a progress) and shows another target
            String hostile = "x?httpMethod=DELETE&proxyHost=127.0.0.1&proxyPort=" + proxy.getLocalPort() + "&z={{devana.api-key}}";
            HttpResponse<String> refined = push(failed, "ERROR", "EXTRACTION", hostile, "{\"progress\":50}");
            assertThat(refined.statusCode()).isEqualTo(202);
            assertThat(Json.read(refined.body())).containsEntry("change", "REFINED");

            await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'REQUESTED'") == 1);
            assertThat(emulator.retryRequests()).extracting(r -> r.kind() + " " + r.targetId()).containsExactly("reextract cm4docPinned");
            assertThat(emulator.requests()).allSatisfy(r -> assertThat(OnContract.violation(r)).as(r.toString()).isNull());
            assertThat(emulator.requests()).filteredOn(r -> r.method().equals("POST")).extracting(r -> r.path())
                    .containsOnly("/v1/documents/cm4docPinned/reextract");
            assertThat(accepted(proxy)).as("a connection to the 'proxy' the hostile target names").isFalse();
        }
        assertThat(app.rows("SELECT target_id FROM job_retries WHERE failed_job_id = ?", failed)).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("target_id", "cm4docPinned"));
        assertThat(log.text()).doesNotContain(emulator.apiKey());
    }

    @Test
    void looks_up_a_retry_whose_answer_was_lost_by_the_target_it_was_decided_for() throws Exception {
        emulator.injectFault("POST /v1/folders", Fault.slow(Duration.ofMillis(2500)), 1);
        String failed = emulator.job().type("EMBEDDING").target("cm4folderPinned").status("ERROR").add();
        startApp(Map.of("devana.webhook.secret", SECRET, "camel.component.http.response-timeout", "1000",
                "camel.component.http.so-timeout", "1000"));
        await().atMost(CYCLES).until(() -> app.rows("SELECT outcome, last_error FROM job_retries").stream()
                .anyMatch(r -> "FAILED".equals(r.get("outcome")) && "timed out".equals(r.get("last_error"))));

        HttpResponse<String> refined = push(failed, "ERROR", "EMBEDDING", "x&type=DONE&limit=1000&offset=5000", "{\"progress\":20}");
        assertThat(refined.statusCode()).isEqualTo(202);

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'REQUESTED'") == 1);
        assertThat(emulator.requests()).allSatisfy(r -> assertThat(OnContract.violation(r)).as(r.toString()).isNull());
        assertThat(emulator.requests()).extracting(r -> r.method() + " " + r.query())
                .contains("GET targetId=cm4folderPinned&limit=100");
        assertThat(emulator.retryRequests()).extracting(r -> r.targetId()).containsExactly("cm4folderPinned");
    }

    @Test
    void says_which_job_and_target_a_failed_retry_post_was_for() throws Exception {
        String failed = emulator.job().type("EXTRACTION").target("cm4docGone").status("ERROR").add();
        emulator.injectFault("POST /v1/documents", Fault.status(404), 1);
        startApp();

        await().atMost(CYCLES).until(() -> log.count("retry POST failed") == 1);
        assertThat(log.lines()).filteredOn(line -> line.contains("retry POST failed")).singleElement().asString()
                .contains("job " + failed + " EXTRACTION target cm4docGone attempt 1/3: HTTP 404");
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'REQUESTED'") == 1);
    }

    @Test
    void answers_a_push_with_its_job_when_the_retry_it_starts_fails() throws Exception {
        emulator.injectFault("POST /v1/documents", Fault.status(503), 1);
        startApp(Map.of("devana.webhook.secret", SECRET));

        HttpResponse<String> answer = push("cm4jobPushedFailure", "ERROR", "EXTRACTION", "cm4docPushed", "{\"error\":\"OCR failed\"}");

        assertThat(answer.statusCode()).isEqualTo(202);
        assertThat(Json.read(answer.body())).containsEntry("jobId", "cm4jobPushedFailure").containsEntry("status", "ERROR")
                .containsEntry("change", "NEW");
        assertThat(app.rows("SELECT outcome, http_status FROM job_retries")).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("outcome", "FAILED").containsEntry("http_status", 503));
    }

    @Test
    void keeps_a_job_too_large_for_its_columns_in_a_safe_form_and_records_every_other_job_of_the_page() throws Exception {
        List<String> done = new ArrayList<>();
        done.add(emulator.job().type("EXTRACTION").status("DONE").progress(100).add());
        String huge = emulator.job().type("EXTRACTION").status("DONE").progress(100)
                .metadata(Map.of("fileName", "big.pdf", "text", "x".repeat(1_100_000))).add();
        String longTarget = emulator.job().type("EMBEDDING").target("t".repeat(150_000)).status("DONE").progress(100).add();
        for (int i = 0; i < 3; i++) {
            done.add(emulator.job().type("SYNC").status("DONE").progress(100).add());
        }
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_completions") == 6);
        Map<String, Object> stored = app.rows("SELECT job_json FROM job_state WHERE job_id = ?", huge).get(0);
        Map<String, Object> job = Json.read((String) stored.get("job_json"));
        assertThat(job).containsEntry("id", huge).containsEntry("status", "DONE");
        assertThat((Map<String, Object>) job.get("metadata")).containsEntry("fileName", "big.pdf")
                .hasEntrySatisfying("text", text -> assertThat(((String) text).length()).isLessThan(5000));
        assertThat((String) app.rows("SELECT target_id FROM job_state WHERE job_id = ?", longTarget).get(0).get("target_id"))
                .hasSizeLessThan(300).contains("150000 chars");
        await().atMost(CYCLES).until(() -> app.receivedEvents().stream().anyMatch(e -> huge.equals(e.get("subject"))));
        assertThat(app.receivedEvents()).filteredOn(e -> huge.equals(e.get("subject"))).singleElement()
                .satisfies(event -> assertThat(event).containsEntry("truncated", true));
        long polls = getJobsRequests();
        await().atMost(CYCLES).until(() -> getJobsRequests() >= polls + 2);
        assertThat(Http.get(app.url("/observe/health/ready")).statusCode()).isEqualTo(200);
        assertThat(app.counter("devana.jobs.invalid", "reason", "too_large")).isEqualTo(1);
        assertThat(log.count("kept and announced in a safe form")).isEqualTo(1);
        assertThat(log.text()).doesNotContain("\tat ").doesNotContain("cycle abandoned");
    }

    @Test
    void says_a_job_that_cannot_be_read_once_a_minute_however_many_cycles_see_it() throws Exception {
        emulator.job().id("x".repeat(300)).type("EXTRACTION").status("DONE").add();
        String readable = emulator.job().type("SYNC").status("DONE").progress(100).add();
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", readable) == 1);
        await().atMost(CYCLES).until(() -> app.counter("devana.jobs.invalid", "reason", "unreadable") >= 3);
        assertThat(log.count("job skipped: job field 'id' is not a printable token")).isEqualTo(1);
        assertThat(log.text()).doesNotContain("\tat ");
    }

    @Test
    void says_a_cycle_failure_that_repeats_once_a_minute_with_the_metric_counting_each() throws Exception {
        emulator.injectFault("GET /v1/jobs", Fault.html(502), 1000);
        startApp(Map.of("devana.backoff.base", "10", "devana.backoff.max", "20"));

        await().atMost(CYCLES).until(() -> app.counter("devana.cycle.failures", "kind", "api-status") >= 4);
        assertThat(log.count("cycle abandoned (poll-devana-jobs-every-interval): the Devana API answered HTTP 502")).isEqualTo(1);
        assertThat(log.text()).doesNotContain("\tat ");
    }

    private long getJobsRequests() {
        return emulator.requests().stream().filter(r -> r.method().equals("GET")).count();
    }

    private static boolean accepted(ServerSocket socket) throws Exception {
        try {
            socket.accept().close();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private HttpResponse<String> push(String jobId, String status, String type, String targetId, String metadata) {
        String body = "{\"jobId\":" + Json.quote(jobId) + ",\"status\":\"" + status + "\",\"targetId\":" + Json.quote(targetId)
                + ",\"type\":\"" + type + "\",\"metadata\":" + metadata + "}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return Http.post(app.url("/webhook/job-status"), bytes,
                Map.of("Content-Type", "application/json", "X-Devana-Signature", Signed.devana(SECRET, bytes)));
    }
}
