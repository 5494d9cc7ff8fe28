package devana.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DevanaEmulatorTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TIMESTAMP = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

    private DevanaEmulator emulator;

    @BeforeEach
    void startEmulator() {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
    }

    @AfterEach
    void stopEmulator() {
        emulator.close();
    }

    @Test
    void rejects_requests_without_the_current_api_key() throws Exception {
        assertThat(call(emulator, "GET", "/v1/jobs", null).statusCode()).isEqualTo(401);
        HttpResponse<String> wrongKey = call(emulator, "GET", "/v1/jobs", "not-the-key");
        assertThat(wrongKey.statusCode()).isEqualTo(401);
        assertThat(wrongKey.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json(wrongKey).get("success").asBoolean()).isFalse();
        assertThat(json(wrongKey).get("error").asText()).isNotBlank();
        assertThat(call(emulator, "POST", "/v1/documents/cm4doc1/reextract", "nope").statusCode()).isEqualTo(401);

        emulator.setApiKey("rotated-key");
        assertThat(call(emulator, "GET", "/v1/jobs", DevanaEmulator.DEFAULT_API_KEY).statusCode()).isEqualTo(401);
        assertThat(call(emulator, "GET", "/v1/jobs", "rotated-key").statusCode()).isEqualTo(200);
        assertThat(emulator.apiKey()).isEqualTo("rotated-key");
    }

    @Test
    void answers_404_in_json_for_unknown_paths_and_methods() throws Exception {
        for (String request : List.of("GET /v1/nothing", "POST /v1/jobs", "GET /v1/documents/cm4doc1/reextract",
                "POST /v1/folders/cm4f/reextract", "DELETE /v1/jobs")) {
            String[] methodAndPath = request.split(" ");
            HttpResponse<String> response = call(emulator, methodAndPath[0], methodAndPath[1], emulator.apiKey());
            assertThat(response.statusCode()).as(request).isEqualTo(404);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(json(response).get("success").asBoolean()).isFalse();
        }
    }

    @Test
    void rejects_a_limit_above_100() throws Exception {
        HttpResponse<String> response = get("/v1/jobs?limit=101");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("error").asText()).isEqualTo("limit must be <= 100");
        assertThat(get("/v1/jobs?limit=100").statusCode()).isEqualTo(200);
    }

    @Test
    void rejects_limits_and_offsets_that_are_not_in_range() throws Exception {
        for (String query : List.of("limit=0", "limit=-1", "limit=abc", "limit=2.5", "limit=", "offset=-1",
                "offset=x", "offset=1001", "limit=99999999999999999999999")) {
            HttpResponse<String> response = get("/v1/jobs?" + query);
            assertThat(response.statusCode()).as(query).isEqualTo(400);
            assertThat(json(response).get("success").asBoolean()).isFalse();
        }
        assertThat(get("/v1/jobs?offset=1000&limit=1").statusCode()).isEqualTo(200);
    }

    @Test
    void treats_type_as_a_status_filter_and_rejects_unknown_values() throws Exception {
        emulator.job().status("ERROR").add();
        String running = emulator.job().status("IN_PROGRESS").add();
        assertThat(ids(get("/v1/jobs?type=IN_PROGRESS"))).containsExactly(running);
        for (String value : List.of("KILLED", "EXTRACTION", "pending", "")) {
            assertThat(get("/v1/jobs?type=" + value).statusCode()).as(value).isEqualTo(400);
        }
    }

    @Test
    void returns_25_jobs_by_default_newest_first() throws Exception {
        Instant now = Instant.now();
        List<String> added = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            added.add(emulator.job().createdAt(now.minusSeconds(600 - i * 10L)).add());
        }
        HttpResponse<String> response = get("/v1/jobs");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("success").asBoolean()).isTrue();
        Collections.reverse(added);
        assertThat(ids(response)).containsExactlyElementsOf(added.subList(0, 25));
    }

    @Test
    void breaks_creation_time_ties_by_most_recent_insertion() throws Exception {
        Instant same = Instant.now().minusSeconds(60);
        String first = emulator.job().createdAt(same).add();
        String second = emulator.job().createdAt(same).add();
        String older = emulator.job().createdAt(same.minusMillis(1)).add();
        assertThat(ids(get("/v1/jobs"))).containsExactly(second, first, older);
    }

    @Test
    void pages_through_the_list_with_limit_and_offset() throws Exception {
        Instant now = Instant.now();
        for (int i = 0; i < 23; i++) {
            emulator.job().createdAt(now.minusSeconds(i)).add();
        }
        List<String> all = ids(get("/v1/jobs?limit=100"));
        List<String> paged = new ArrayList<>();
        for (int offset = 0; offset < 30; offset += 10) {
            paged.addAll(ids(get("/v1/jobs?limit=10&offset=" + offset)));
        }
        assertThat(all).hasSize(23);
        assertThat(paged).containsExactlyElementsOf(all);
        assertThat(ids(get("/v1/jobs?limit=10&offset=20"))).hasSize(3);
        assertThat(ids(get("/v1/jobs?offset=23"))).isEmpty();
    }

    @Test
    void hides_jobs_older_than_24_hours_and_killed_jobs() throws Exception {
        Instant now = Instant.now();
        String recent = emulator.job().createdAt(now.minus(Duration.ofHours(23))).status("DONE").add();
        String tooOld = emulator.job().createdAt(now.minus(Duration.ofHours(25))).status("ERROR").add();
        String killedLater = emulator.job().add();
        emulator.job().status("KILLED").add();
        assertThat(ids(get("/v1/jobs"))).containsExactlyInAnyOrder(recent, killedLater);

        emulator.kill(killedLater);
        assertThat(ids(get("/v1/jobs"))).containsExactly(recent);
        assertThat(emulator.visibleJobCount()).isEqualTo(1);
        assertThat(emulator.jobJson(tooOld)).containsEntry("status", "ERROR");
        assertThat(emulator.jobJson(killedLater)).containsEntry("status", "KILLED");
    }

    @Test
    void filters_by_target_id_and_status_together() throws Exception {
        String failed = emulator.job().target("cm4docA").status("ERROR").error("PDF parsing failed").add();
        emulator.job().target("cm4docA").status("DONE").add();
        emulator.job().target("cm4docB").status("ERROR").add();
        assertThat(ids(get("/v1/jobs?targetId=cm4docA&type=ERROR"))).containsExactly(failed);
        assertThat(ids(get("/v1/jobs?targetId=cm4docA"))).hasSize(2);
        assertThat(ids(get("/v1/jobs?targetId=cm4docZ"))).isEmpty();
    }

    @Test
    void serialises_jobs_with_the_documented_fields_and_keeps_extra_ones() throws Exception {
        String id = emulator.job().id("cm4jobfixed0001").type("OCR").target("cm4doc42").status("IN_PROGRESS")
                .progress(40).metadata(Map.of("fileName", "scan.tiff")).extra("priority", "HIGH")
                .extra("labels", List.of("finance", "q4")).add();
        String bare = emulator.job().add();

        JsonNode job = json(get("/v1/jobs?targetId=cm4doc42")).get("data").get(0);
        assertThat(job.get("id").asText()).isEqualTo(id).isEqualTo("cm4jobfixed0001");
        assertThat(job.get("type").asText()).isEqualTo("OCR");
        assertThat(job.get("progress").asInt()).isEqualTo(40);
        assertThat(job.get("metadata").get("fileName").asText()).isEqualTo("scan.tiff");
        assertThat(job.get("priority").asText()).isEqualTo("HIGH");
        assertThat(job.get("labels").get(1).asText()).isEqualTo("q4");
        assertThat(job.get("userId").asText()).startsWith("cm4user");
        assertThat(job.get("startedAt").asText()).matches(TIMESTAMP);
        assertThat(job.get("createdAt").asText()).matches(TIMESTAMP);
        assertThat(job.get("updatedAt").asText()).matches(TIMESTAMP);
        assertThat(job.has("completedAt")).isFalse();
        assertThat(job.has("error")).isFalse();

        Map<String, Object> defaults = emulator.jobJson(bare);
        assertThat((String) defaults.get("id")).matches("cm4job[0-9a-z]{16}");
        assertThat((String) defaults.get("targetId")).startsWith("cm4doc");
        assertThat(defaults).containsEntry("type", "EXTRACTION").containsEntry("status", "PENDING")
                .doesNotContainKeys("progress", "metadata", "error", "startedAt", "completedAt");
    }

    @Test
    void update_fail_and_kill_keep_the_timestamps_coherent() {
        String id = emulator.job().add();
        emulator.update(id, "IN_PROGRESS", 30);
        assertThat(emulator.jobJson(id)).containsEntry("status", "IN_PROGRESS").containsEntry("progress", 30)
                .containsKey("startedAt").doesNotContainKey("completedAt");
        emulator.fail(id, "OCR timeout after 300s on page 37");
        assertThat(emulator.jobJson(id)).containsEntry("status", "ERROR")
                .containsEntry("error", "OCR timeout after 300s on page 37").containsKey("completedAt");
        emulator.update(id, "DONE", 100);
        assertThat(emulator.jobJson(id)).containsEntry("status", "DONE").doesNotContainKey("error");
        assertThatThrownBy(() -> emulator.kill("cm4jobunknown")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void answers_429_with_retry_after_once_the_rate_limit_is_reached() throws Exception {
        try (DevanaEmulator limited = DevanaEmulator.start(EmulatorOptions.forTests().withRateLimitPerMinute(3))) {
            assertThat(call(limited, "GET", "/v1/jobs", "wrong").statusCode()).isEqualTo(401);
            for (int i = 0; i < 3; i++) {
                assertThat(call(limited, "GET", "/v1/jobs", limited.apiKey()).statusCode()).isEqualTo(200);
            }
            HttpResponse<String> refused = call(limited, "GET", "/v1/jobs", limited.apiKey());
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(json(refused).get("success").asBoolean()).isFalse();
            assertThat(Integer.parseInt(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1, 60);
            assertThat(call(limited, "POST", "/v1/documents/cm4doc1/reextract", limited.apiKey()).statusCode())
                    .isEqualTo(429);
            assertThat(limited.retryRequests()).isEmpty();
        }
    }

    @Test
    void reextract_and_reindex_create_new_jobs_and_are_recorded() throws Exception {
        emulator.setRetryOutcome((target, type) -> RetryOutcome.STAY_PENDING);
        String failed = emulator.job().target("cm4docfailed").status("ERROR").error("PDF parsing failed")
                .metadata(Map.of("fileName", "contrat.pdf")).add();

        HttpResponse<String> reextract = post("/v1/documents/cm4docfailed/reextract");
        assertThat(reextract.statusCode()).isEqualTo(202);
        JsonNode created = json(reextract).get("data");
        assertThat(created.get("id").asText()).isNotEqualTo(failed).startsWith("cm4job");
        assertThat(created.get("type").asText()).isEqualTo("EXTRACTION");
        assertThat(created.get("status").asText()).isEqualTo("PENDING");
        assertThat(created.get("targetId").asText()).isEqualTo("cm4docfailed");
        assertThat(created.get("metadata").get("fileName").asText()).isEqualTo("contrat.pdf");

        HttpResponse<String> reindex = post("/v1/folders/cm4folder_9-x/reindex");
        assertThat(reindex.statusCode()).isEqualTo(202);
        assertThat(json(reindex).get("data").get("type").asText()).isEqualTo("EMBEDDING");
        assertThat(json(reindex).get("data").get("metadata").get("model").asText()).isEqualTo("text-embedding-ada-002");

        assertThat(emulator.retryRequests()).extracting(RetryRequest::kind, RetryRequest::targetId)
                .containsExactly(tuple("reextract", "cm4docfailed"),
                        tuple("reindex", "cm4folder_9-x"));
        assertThat(emulator.retryRequests().get(0).newJobId()).isEqualTo(created.get("id").asText());
        assertThat(emulator.jobJson(failed)).containsEntry("status", "ERROR");
        assertThat(ids(get("/v1/jobs?targetId=cm4docfailed"))).containsExactly(created.get("id").asText(), failed);
    }

    @Test
    void rejects_a_hostile_target_id_without_creating_a_job() throws Exception {
        String tooLong = "a".repeat(129);
        for (String segment : List.of("..%2F..%2Fadmin", "cm4doc%20x", "cm4doc%3Bdrop", "cm4doc+x", "%E2%82%AC",
                "cm4doc%25zz", tooLong)) {
            HttpResponse<String> response = post("/v1/documents/" + segment + "/reextract");
            assertThat(response.statusCode()).as(segment).isEqualTo(400);
            assertThat(json(response).get("success").asBoolean()).isFalse();
        }
        assertThat(post("/v1/folders/" + "a".repeat(128) + "/reindex").statusCode()).isEqualTo(202);
        assertThat(emulator.retryRequests()).hasSize(1);
        assertThat(emulator.visibleJobCount()).isEqualTo(1);
    }

    @Test
    void injected_faults_are_consumed_once_each_in_order() throws Exception {
        emulator.injectFault("GET /v1/jobs", Fault.html(502), 1);
        emulator.injectFault("GET /v1/jobs", Fault.malformedJson(), 1);
        emulator.injectFault("GET /v1/jobs", Fault.tooManyRequests(7), 2);
        emulator.injectFault("POST /v1/documents", Fault.status(503), 1);

        HttpResponse<String> html = get("/v1/jobs");
        assertThat(html.statusCode()).isEqualTo(502);
        assertThat(html.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        HttpResponse<String> broken = get("/v1/jobs");
        assertThat(broken.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> JSON.readTree(broken.body())).isInstanceOf(IOException.class);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> tooMany = get("/v1/jobs");
            assertThat(tooMany.statusCode()).isEqualTo(429);
            assertThat(tooMany.headers().firstValue("Retry-After")).hasValue("7");
        }
        assertThat(get("/v1/jobs").statusCode()).isEqualTo(200);

        assertThat(post("/v1/documents/cm4doc1/reextract").statusCode()).isEqualTo(503);
        assertThat(post("/v1/documents/cm4doc1/reextract").statusCode()).isEqualTo(202);
        assertThat(emulator.requests()).extracting(RecordedRequest::status)
                .containsExactly(502, 200, 429, 429, 200, 503, 202);
    }

    @Test
    void a_slow_fault_delays_one_answer_only() throws Exception {
        emulator.injectFault("GET /v1/jobs", Fault.slow(Duration.ofSeconds(1)), 1);
        HttpRequest impatient = request("GET", "/v1/jobs", emulator.apiKey()).timeout(Duration.ofMillis(200)).build();
        assertThatThrownBy(() -> HTTP.send(impatient, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(HttpTimeoutException.class);
        HttpRequest next = request("GET", "/v1/jobs", emulator.apiKey()).timeout(Duration.ofMillis(900)).build();
        assertThat(HTTP.send(next, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        emulator.clearFaults();
    }

    @Test
    void a_retried_job_moves_to_done_or_error_according_to_the_policy() throws Exception {
        try (DevanaEmulator fast = DevanaEmulator.start(EmulatorOptions.forTests().withSpeed(10_000))) {
            fast.setRetryOutcome((target, type) -> switch (target) {
                case "cm4docgood" -> RetryOutcome.SUCCEED;
                case "cm4docbad" -> RetryOutcome.FAIL;
                default -> RetryOutcome.STAY_PENDING;
            });
            String good = newJobId(call(fast, "POST", "/v1/documents/cm4docgood/reextract", fast.apiKey()));
            String bad = newJobId(call(fast, "POST", "/v1/documents/cm4docbad/reextract", fast.apiKey()));
            String stuck = newJobId(call(fast, "POST", "/v1/folders/cm4folderstuck/reindex", fast.apiKey()));

            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> fast.jobJson(good).get("status"), "IN_PROGRESS"::equals);
            assertThat(fast.jobJson(good)).containsKeys("startedAt", "progress");
            await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(100))
                    .until(() -> fast.jobJson(good).get("status"), "DONE"::equals);
            await().atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(100))
                    .until(() -> fast.jobJson(bad).get("status"), "ERROR"::equals);

            assertThat(fast.jobJson(good)).containsEntry("progress", 100).containsKey("completedAt");
            assertThat(fast.jobJson(bad)).containsKey("completedAt");
            assertThat((String) fast.jobJson(bad).get("error")).isNotBlank();
            assertThat(fast.jobJson(stuck)).containsEntry("status", "PENDING");
        }
    }

    @Test
    void the_workload_is_reproducible_from_its_seed() throws Exception {
        try (DevanaEmulator first = DevanaEmulator.start(EmulatorOptions.demo().withSeed(7));
             DevanaEmulator second = DevanaEmulator.start(EmulatorOptions.demo().withSeed(7));
             DevanaEmulator other = DevanaEmulator.start(EmulatorOptions.demo().withSeed(8))) {
            List<String> firstJobs = summary(first);
            List<String> secondJobs = summary(second);
            assertThat(firstJobs).hasSizeBetween(45, 50).containsExactlyElementsOf(secondJobs);
            assertThat(summary(other)).doesNotContainAnyElementsOf(firstJobs);

            JsonNode jobs = json(call(first, "GET", "/v1/jobs?limit=100", first.apiKey())).get("data");
            List<JsonNode> all = StreamSupport.stream(jobs.spliterator(), false).toList();
            assertThat(all).extracting(job -> job.get("type").asText()).containsAll(Workload.TYPES);
            assertThat(all).filteredOn(job -> job.get("status").asText().equals("ERROR"))
                    .extracting(job -> job.get("type").asText()).contains("EXTRACTION", "EMBEDDING", "SYNC");
            assertThat(all).filteredOn(job -> job.get("status").asText().equals("ERROR"))
                    .allSatisfy(job -> assertThat(job.get("error").asText()).isNotBlank());
            assertThat(all).extracting(job -> job.get("status").asText()).contains("PENDING", "IN_PROGRESS", "DONE");
            assertThat(all).allSatisfy(job -> assertThat(job.get("metadata").isObject()).isTrue());
        }
    }

    @Test
    void the_demo_workload_moves_jobs_along_and_adds_new_ones() throws Exception {
        try (DevanaEmulator demo = DevanaEmulator.start(EmulatorOptions.demo())) {
            List<String> pending = idsOf(demo, "/v1/jobs?type=PENDING");
            int initiallyVisible = demo.visibleJobCount();
            assertThat(pending).isNotEmpty();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                    .until(() -> !idsOf(demo, "/v1/jobs?type=PENDING").containsAll(pending)
                            && demo.visibleJobCount() > initiallyVisible);
        }
    }

    @Test
    void the_request_listener_runs_before_the_response_is_computed() throws Exception {
        AtomicReference<RecordedRequest> seen = new AtomicReference<>();
        AtomicReference<String> inserted = new AtomicReference<>();
        emulator.addRequestListener(request -> {
            seen.set(request);
            inserted.set(emulator.job().add());
        });
        HttpResponse<String> response = get("/v1/jobs?limit=5");
        assertThat(ids(response)).containsExactly(inserted.get());
        assertThat(seen.get().status()).isZero();
        assertThat(seen.get().query()).isEqualTo("limit=5");
        assertThat(emulator.requests()).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("GET");
            assertThat(request.path()).isEqualTo("/v1/jobs");
            assertThat(request.status()).isEqualTo(200);
        });
        emulator.clearRecords();
        assertThat(emulator.requests()).isEmpty();
    }

    private List<String> summary(DevanaEmulator target) throws Exception {
        JsonNode jobs = json(call(target, "GET", "/v1/jobs?limit=100", target.apiKey())).get("data");
        return IntStream.range(0, jobs.size()).mapToObj(jobs::get)
                .map(job -> job.get("id").asText() + " " + job.get("type").asText() + " " + job.get("status").asText()
                        + " " + job.get("targetId").asText())
                .toList();
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return call(emulator, "GET", pathAndQuery, emulator.apiKey());
    }

    private HttpResponse<String> post(String path) throws Exception {
        return call(emulator, "POST", path, emulator.apiKey());
    }

    private static List<String> idsOf(DevanaEmulator target, String pathAndQuery) throws Exception {
        return ids(call(target, "GET", pathAndQuery, target.apiKey()));
    }

    private static HttpResponse<String> call(DevanaEmulator target, String method, String pathAndQuery, String key)
            throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(target.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(5)).method(method, HttpRequest.BodyPublishers.noBody());
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String method, String pathAndQuery, String key) {
        return HttpRequest.newBuilder(URI.create(emulator.baseUrl() + pathAndQuery))
                .method(method, HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + key);
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static List<String> ids(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode data = json(response).get("data");
        return IntStream.range(0, data.size()).mapToObj(i -> data.get(i).get("id").asText()).toList();
    }

    private static String newJobId(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return json(response).get("data").get("id").asText();
    }
}
