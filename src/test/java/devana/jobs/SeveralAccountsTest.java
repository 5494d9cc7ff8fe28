package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
import devana.emulator.RecordedRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two accounts in one process (devana.accounts=default,acme), each on its own emulator with its own key and webhook
 * secret. Both emulators hand out the same job ids, as two accounts of one API might: every row, retry, event,
 * metric, webhook path and /api answer stays the account's own.
 */
class SeveralAccountsTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(30);
    private static final String DEFAULT_SECRET = "whsec-default-5b1e0c";
    private static final String ACME_SECRET = "whsec-acme-9d02f7aa";

    private DevanaEmulator acme;

    @BeforeEach
    void startTheSecondAccountsApi() {
        acme = EmulatorExtension.startForTheApp();
        acme.setApiKey("acme-key-0042");
    }

    @AfterEach
    void stopIt() throws Exception {
        stopApp();
        acme.close();
    }

    private void startBoth() {
        startApp(Map.of("devana.accounts", "default,acme",
                "devana.accounts.acme.base-url", acme.baseUrl(),
                "devana.accounts.acme.api-key", acme.apiKey(),
                "devana.webhook.secret", DEFAULT_SECRET,
                "devana.accounts.acme.webhook-secret", ACME_SECRET));
    }

    /**
     * devana.poll.full-scans-at-once=1: the two accounts' first full scans (three pages each) come one after the
     * other, never interleaved, and both get their turn; before the limit, both started at once.
     */
    @Test
    void runs_one_full_scan_at_a_time_when_asked_and_gives_every_account_its_turn() throws Exception {
        for (DevanaEmulator api : List.of(emulator, acme)) {
            for (int i = 0; i < 250; i++) {
                api.job().type("SYNC").status("DONE").progress(100).add();
            }
        }
        startApp(Map.of("devana.accounts", "default,acme",
                "devana.accounts.acme.base-url", acme.baseUrl(),
                "devana.accounts.acme.api-key", acme.apiKey(),
                "devana.poll.full-scans-at-once", "1"));

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 500);
        List<Instant[]> scans = List.of(firstScan(emulator), firstScan(acme));
        Instant[] first = scans.get(0)[0].isBefore(scans.get(1)[0]) ? scans.get(0) : scans.get(1);
        Instant[] second = first == scans.get(0) ? scans.get(1) : scans.get(0);
        assertThat(second[0]).as("the second scan's first page after the first scan's last").isAfter(first[1]);
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE account = 'acme'")).isEqualTo(250);
    }

    /** When the account's first full scan asked for its first page (the one right before offset=100) and its last. */
    private static Instant[] firstScan(DevanaEmulator api) {
        List<RecordedRequest> gets = api.requests().stream().filter(r -> "GET".equals(r.method())).toList();
        int second = 0;
        while (!gets.get(second).query().contains("offset=100")) {
            second++;
        }
        RecordedRequest last = gets.stream().filter(r -> r.query().contains("offset=200")).findFirst().orElseThrow();
        return new Instant[] {gets.get(second - 1).at(), last.at()};
    }

    @Test
    void keeps_each_accounts_jobs_retries_and_completions_apart_when_their_ids_collide() throws Exception {
        for (DevanaEmulator api : List.of(emulator, acme)) {
            String target = api == emulator ? "cm4docDefault1" : "cm4docAcme1";
            api.job().id("cm4jobSameId1").type("EXTRACTION").target(target).status("ERROR").error("OCR failed").add();
            api.job().id("cm4jobSameId2").type("EMBEDDING").target("cm4folderShared").status("DONE").add();
        }
        startBoth();

        await().atMost(CYCLES).until(() -> emulator.retryRequests().size() == 1 && acme.retryRequests().size() == 1);
        assertThat(emulator.retryRequests()).singleElement().satisfies(r -> assertThat(r.targetId()).isEqualTo("cm4docDefault1"));
        assertThat(acme.retryRequests()).singleElement().satisfies(r -> assertThat(r.targetId()).isEqualTo("cm4docAcme1"));
        // each API was only ever called with its own key (the emulators answer any other with 401)
        assertThat(emulator.requests()).isNotEmpty().extracting(RecordedRequest::status).doesNotContain(401);
        assertThat(acme.requests()).isNotEmpty().extracting(RecordedRequest::status).doesNotContain(401);

        assertThat(app.rows("SELECT account, target_id, outcome FROM job_retries WHERE failed_job_id = 'cm4jobSameId1' ORDER BY account"))
                .containsExactly(Map.of("account", "acme", "target_id", "cm4docAcme1", "outcome", "REQUESTED"),
                        Map.of("account", "default", "target_id", "cm4docDefault1", "outcome", "REQUESTED"));
        assertThat(app.rows("SELECT account FROM job_completions WHERE job_id = 'cm4jobSameId2' ORDER BY account"))
                .extracting(row -> row.get("account")).containsExactly("acme", "default");
        assertThat(app.rows("SELECT account FROM job_state WHERE job_id = 'cm4jobSameId1' ORDER BY account"))
                .extracting(row -> row.get("account")).containsExactly("acme", "default");

        await().atMost(CYCLES).until(() -> doneEvents().size() == 2);
        List<Map<String, Object>> done = doneEvents();
        assertThat(done).extracting(e -> e.get("account")).containsExactlyInAnyOrder("default", "acme");
        assertThat(done).extracting(e -> e.get("id")).doesNotHaveDuplicates();
        assertThat(done).extracting(e -> e.get("source"))
                .containsExactlyInAnyOrder(emulator.baseUrl() + "/v1/jobs", acme.baseUrl() + "/v1/jobs");
        assertThat(app.rows("SELECT account, COUNT(*) AS n FROM job_events WHERE job_id = 'cm4jobSameId2' "
                + "AND event_type = 'ai.devana.job.done' GROUP BY account ORDER BY account"))
                .extracting(row -> row.get("account")).containsExactly("acme", "default");

        // each account spends its own budget, under its own label
        // (the retry share's calls: a look-up of the failure, older than this run, then its POST)
        assertThat(app.counter("devana.api.requests", "account", "acme", "caller", "retry")).isEqualTo(retryCalls(acme)).isPositive();
        assertThat(app.counter("devana.api.requests", "account", "default", "caller", "retry")).isEqualTo(retryCalls(emulator));
        assertThat(app.counter("devana.api.requests", "account", "acme", "caller", "poll")).isPositive();
        assertThat(app.counter("devana.retries", "account", "acme", "outcome", "REQUESTED")).isEqualTo(1);
        assertThat(app.counter("devana.jobs.completions", "account", "acme")).isEqualTo(1);
        String metrics = Http.get(app.url("/observe/metrics")).body();
        assertThat(metrics).contains("devana_api_requests_total{account=\"acme\",caller=\"poll\"}")
                .contains("devana_poll_cycles_total{account=\"acme\"}");
    }

    @Test
    void each_account_has_its_own_webhook_path_and_secret() throws Exception {
        startBoth();
        byte[] push = ("{\"jobId\":\"cm4jobPushedA\",\"status\":\"DONE\",\"targetId\":\"cm4docP\",\"type\":\"EXTRACTION\"}")
                .getBytes(StandardCharsets.UTF_8);

        assertThat(post("/webhook/job-status/acme", push, DEFAULT_SECRET).statusCode()).isEqualTo(401);
        assertThat(post("/webhook/job-status/nobody", push, ACME_SECRET).statusCode()).isEqualTo(404);
        assertThat(post("/webhook/job-status/acme", push, ACME_SECRET).statusCode()).isEqualTo(202);
        assertThat(app.rows("SELECT account FROM job_completions WHERE job_id = 'cm4jobPushedA'"))
                .extracting(row -> row.get("account")).containsExactly("acme");

        // the default account keeps the single-account path, and answers at its named one too
        assertThat(post("/webhook/job-status", push, ACME_SECRET).statusCode()).isEqualTo(401);
        assertThat(post("/webhook/job-status", push, DEFAULT_SECRET).statusCode()).isEqualTo(202);
        HttpResponse<String> replay = post("/webhook/job-status/default", push, DEFAULT_SECRET);
        assertThat(replay.statusCode()).isEqualTo(202);
        assertThat(Json.read(replay.body())).containsEntry("change", "REPLAY");
        assertThat(app.rows("SELECT account FROM job_completions WHERE job_id = 'cm4jobPushedA' ORDER BY account"))
                .extracting(row -> row.get("account")).containsExactly("acme", "default");
        assertThat(app.counter("devana.webhooks", "account", "acme", "outcome", "accepted")).isEqualTo(1);
        assertThat(app.counter("devana.webhooks", "account", "acme", "outcome", "unauthorized")).isEqualTo(1);
    }

    @Test
    void the_api_and_readiness_answer_per_account() throws Exception {
        emulator.job().id("cm4jobOfDefault").type("EXTRACTION").target("cm4docD").status("IN_PROGRESS").progress(10).add();
        acme.job().id("cm4jobOfAcme").type("EXTRACTION").target("cm4docA").status("PENDING").add();
        startBoth();
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 2);

        assertThat(jobIds("/api/jobs?account=acme")).containsExactly(Map.entry("cm4jobOfAcme", "acme"));
        assertThat(jobIds("/api/jobs?account=default")).containsExactly(Map.entry("cm4jobOfDefault", "default"));
        assertThat(jobIds("/api/jobs")).containsOnly(Map.entry("cm4jobOfAcme", "acme"), Map.entry("cm4jobOfDefault", "default"));
        HttpResponse<String> refused = Http.get(app.url("/api/jobs?account=%3Cscript%3E"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.body()).doesNotContain("script").contains("default, acme");

        Map<String, Object> stats = Json.read(Http.get(app.url("/api/stats?account=acme")).body());
        assertThat(stats).containsEntry("account", "acme").containsEntry("total", 1).containsEntry("pending", 1)
                .containsEntry("in_progress", 0).containsEntry("accounts", List.of("default", "acme"));
        assertThat(Json.read(Http.get(app.url("/api/stats")).body())).containsEntry("total", 2);
        assertThat(Http.get(app.url("/api/stats?account=nobody")).statusCode()).isEqualTo(400);

        await().atMost(CYCLES).until(() -> Http.get(app.url("/observe/health/ready")).statusCode() == 200);
        String ready = Http.get(app.url("/observe/health/ready?data=true")).body();
        assertThat(ready).contains("devana-api-acme").contains("\"devana-api\"").contains(acme.baseUrl().replace("/", "\\/"));
    }

    /** The requests this API got from a retry: its POSTs and its look-ups by target. */
    private static double retryCalls(DevanaEmulator api) {
        return api.requests().stream().filter(r -> "POST".equals(r.method())
                || r.query() != null && r.query().contains("targetId=")).count();
    }

    private List<Map<String, Object>> doneEvents() {
        return app.receivedEvents().stream()
                .filter(e -> "cm4jobSameId2".equals(e.get("subject")) && "ai.devana.job.done".equals(e.get("type")))
                .toList();
    }

    /** The jobs /api/jobs answers at this path: their ids, each with the account its tracking names. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> jobIds(String path) {
        HttpResponse<String> answer = Http.get(app.url(path));
        assertThat(answer.statusCode()).as(path).isEqualTo(200);
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) Json.read(answer.body()).get("data");
        return jobs.stream().collect(Collectors.toMap(job -> (String) job.get("id"),
                job -> ((Map<String, Object>) job.get("tracking")).get("account")));
    }

    private HttpResponse<String> post(String path, byte[] body, String secret) {
        return Http.post(app.url(path), body, Map.of("X-Devana-Signature", Signed.devana(secret, body),
                "Content-Type", "application/json"));
    }
}
