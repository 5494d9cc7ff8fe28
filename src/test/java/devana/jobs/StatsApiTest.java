package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /api/stats and GET /api/jobs over real HTTP, against what the emulator itself shows. */
@SuppressWarnings("unchecked")
class StatsApiTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(20);

    private String doneGeneration;
    private String runningExtraction;

    @BeforeEach
    void startOnNineJobs() {
        // nine jobs, none of whose failures makes the routes create a new job (no retry POST)
        emulator.job().type("SYNC").status("PENDING").add();
        emulator.job().type("SYNC").status("PENDING").add();
        runningExtraction = emulator.job().type("EXTRACTION").target("cm4docRunning").status("IN_PROGRESS").progress(35).add();
        emulator.job().type("EMBEDDING").status("DONE").progress(100).add();
        emulator.job().type("EMBEDDING").status("DONE").progress(100).add();
        doneGeneration = emulator.job().type("GENERATION").status("DONE").progress(100).add();
        emulator.job().type("SYNC").status("ERROR").progress(20).error("SharePoint 403").add();
        emulator.job().type("GENERATION").status("ERROR").error("context window exceeded").add();
        emulator.job().type("EXTRACTION").target("../x").status("ERROR").error("bad target").add();
        startApp();
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 9
                && app.count("SELECT COUNT(*) FROM job_retries") == 3);
    }

    @Test
    void stats_give_the_vendor_scripts_numbers_plus_retries_and_completions() throws Exception {
        HttpResponse<String> response = Http.get(app.url("/api/stats"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        Map<String, Object> stats = Json.read(response.body());
        assertThat(stats).containsAllEntriesOf(vendorStatistics());
        assertThat(stats).containsEntry("total", 9).containsEntry("pending", 2).containsEntry("in_progress", 1)
                .containsEntry("done", 3).containsEntry("error", 3).containsEntry("completions", 3)
                .containsEntry("retries_total", 3).containsEntry("window_hours", 24);
        assertThat((Map<String, Object>) stats.get("retries")).containsEntry("UNSUPPORTED", 2).containsEntry("REJECTED", 1)
                .containsEntry("REQUESTED", 0).containsEntry("EXHAUSTED", 0).containsEntry("FAILED", 0);
        assertThat(stats.get("last_successful_poll")).isNotNull();
    }

    @Test
    void stats_follow_a_change_of_the_tracked_state() {
        emulator.update(runningExtraction, "DONE", 100);
        await().atMost(CYCLES).until(() -> Json.read(Http.get(app.url("/api/stats")).body()).get("in_progress").equals(0));
        Map<String, Object> stats = Json.read(Http.get(app.url("/api/stats")).body());
        assertThat(stats).containsEntry("done", 4).containsEntry("completions", 4).containsEntry("total", 9);
    }

    @Test
    void lists_jobs_by_status_type_and_target_with_their_retry_decision() {
        List<Map<String, Object>> errors = data("/api/jobs?status=ERROR");
        assertThat(errors).hasSize(3).allSatisfy(job -> assertThat(job).containsEntry("status", "ERROR"));
        assertThat(errors).extracting(job -> ((Map<String, Object>) ((Map<String, Object>) job.get("tracking")).get("retry")).get("outcome"))
                .containsExactlyInAnyOrder("UNSUPPORTED", "UNSUPPORTED", "REJECTED");
        assertThat(errors).filteredOn(job -> "SYNC".equals(job.get("type"))).singleElement()
                .satisfies(job -> assertThat(job).containsEntry("error", "SharePoint 403").containsEntry("progress", 20));

        assertThat(data("/api/jobs?type=EMBEDDING")).hasSize(2).allSatisfy(job -> assertThat(job).containsEntry("type", "EMBEDDING"));
        assertThat(data("/api/jobs?status=DONE&type=GENERATION")).singleElement()
                .satisfies(job -> assertThat(job).containsEntry("id", doneGeneration));
        assertThat(data("/api/jobs?targetId=cm4docRunning")).singleElement()
                .satisfies(job -> assertThat(job).containsEntry("id", runningExtraction).containsEntry("progress", 35)
                        .containsKey("tracking"));
        assertThat(data("/api/jobs?targetId=..%2Fx")).singleElement()
                .satisfies(job -> assertThat(job).containsEntry("targetId", "../x"));
        assertThat(data("/api/jobs?status=IN_PROGRESS&type=SYNC")).isEmpty();
    }

    @Test
    void pages_with_limit_and_offset_most_recently_changed_first() {
        assertThat(data("/api/jobs")).hasSize(9);
        List<Object> ids = new ArrayList<>();
        data("/api/jobs?limit=4").forEach(job -> ids.add(job.get("id")));
        data("/api/jobs?limit=4&offset=4").forEach(job -> ids.add(job.get("id")));
        data("/api/jobs?limit=4&offset=8").forEach(job -> ids.add(job.get("id")));
        assertThat(ids).hasSize(9).doesNotHaveDuplicates();
        assertThat(data("/api/jobs?offset=1000")).isEmpty();

        emulator.update(runningExtraction, "IN_PROGRESS", 80);
        await().atMost(CYCLES).until(() -> runningExtraction.equals(data("/api/jobs?limit=1").get(0).get("id")));
        assertThat(data("/api/jobs?limit=1").get(0)).containsEntry("progress", 80);
    }

    @Test
    void refuses_out_of_range_parameters_with_the_devana_apis_400_answers() throws Exception {
        for (String query : List.of("limit=101", "limit=0", "limit=ten", "offset=1001", "offset=-1")) {
            HttpResponse<String> ours = Http.get(app.url("/api/jobs?" + query));
            HttpResponse<String> theirs = devanaApi("/v1/jobs?" + query);
            assertThat(ours.statusCode()).as(query).isEqualTo(400).isEqualTo(theirs.statusCode());
            assertThat(Json.read(ours.body())).as(query).isEqualTo(Json.read(theirs.body()));
        }
        HttpResponse<String> badStatus = Http.get(app.url("/api/jobs?status=KILLED"));
        assertThat(badStatus.statusCode()).isEqualTo(400);
        assertThat(Json.read(badStatus.body())).containsEntry("success", false)
                .containsEntry("error", "status must be one of PENDING, IN_PROGRESS, DONE, ERROR");
        assertThat(Http.get(app.url("/api/jobs?type=" + "A".repeat(65))).statusCode()).isEqualTo(400);
        assertThat(Http.post(app.url("/api/jobs"), new byte[0], Map.of()).statusCode()).isEqualTo(405);
    }

    private List<Map<String, Object>> data(String pathAndQuery) {
        HttpResponse<String> response = Http.get(app.url(pathAndQuery));
        assertThat(response.statusCode()).as(pathAndQuery).isEqualTo(200);
        Map<String, Object> body = Json.read(response.body());
        assertThat(body).containsEntry("success", true);
        return (List<Map<String, Object>>) body.get("data");
    }

    /** What the vendor page's get_job_statistics computes, from the emulator's own answer. */
    private Map<String, Object> vendorStatistics() throws Exception {
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) Json.read(devanaApi("/v1/jobs?limit=100").body()).get("data");
        Map<String, Object> byType = new TreeMap<>();
        jobs.forEach(job -> byType.merge((String) job.get("type"), 1, (a, b) -> (Integer) a + (Integer) b));
        return Map.of("total", jobs.size(),
                "pending", (int) jobs.stream().filter(j -> "PENDING".equals(j.get("status"))).count(),
                "in_progress", (int) jobs.stream().filter(j -> "IN_PROGRESS".equals(j.get("status"))).count(),
                "done", (int) jobs.stream().filter(j -> "DONE".equals(j.get("status"))).count(),
                "error", (int) jobs.stream().filter(j -> "ERROR".equals(j.get("status"))).count(),
                "by_type", byType);
    }

    private HttpResponse<String> devanaApi(String pathAndQuery) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(emulator.baseUrl() + pathAndQuery))
                .header("Authorization", "Bearer " + emulator.apiKey()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
