package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.emulator.RetryOutcome;
import devana.jobs.events.CloudEvents;
import devana.jobs.state.JobSnapshot;
import devana.jobs.state.Transactions;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The routes as they ship, against the emulator over real HTTP and a real database: run once per
 * database by the subclasses (H2, PostgreSQL), the same tests and the same migrations on both.
 */
abstract class JobPipelineTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(20);

    private TestDatabase database;

    /** The database the app of each test runs on, new for every test. */
    protected abstract TestDatabase openDatabase(Path dataDir) throws Exception;

    @BeforeEach
    void openTheDatabase() throws Exception {
        database = openDatabase(dataDir);
    }

    /** Every event a test of this suite made the app publish holds to docs/events.asyncapi.yaml. */
    @AfterEach
    void closeTheDatabase() throws Exception {
        try {
            if (app != null) {
                EventContract.assertHonouredBy(app.receivedEventTexts());
            }
        } finally {
            stopApp();
            if (database != null) {
                database.close();
            }
        }
    }

    @Override
    protected Map<String, String> settings() {
        Map<String, String> settings = super.settings();
        settings.putAll(database.settings());
        return settings;
    }

    @Test
    void records_every_job_once_and_announces_each_as_a_cloud_event() throws Exception {
        String pending = emulator.job().type("SYNC").status("PENDING").add();
        String running = emulator.job().type("IMPORT").status("IN_PROGRESS").progress(40).add();
        String done = emulator.job().type("EMBEDDING").status("DONE").progress(100).add();
        startApp();

        await().atMost(CYCLES).until(() -> app.receivedEvents().size() >= 3);
        assertThat(app.count("SELECT COUNT(*) FROM job_state")).isEqualTo(3);
        Map<String, Object> event = app.receivedEvents().stream()
                .filter(e -> running.equals(e.get("subject"))).findFirst().orElseThrow();
        assertThat(event).containsEntry("specversion", "1.0")
                .containsEntry("type", "ai.devana.job.in_progress")
                .containsEntry("source", emulator.baseUrl() + "/v1/jobs")
                .containsEntry("datacontenttype", "application/json")
                .containsEntry("jobtype", "IMPORT")
                .containsEntry("targetid", emulator.jobJson(running).get("targetId"))
                .containsKeys("id", "time");
        assertThat(event.get("data")).isEqualTo(emulator.jobJson(running));
        assertThat(app.receivedEvents()).extracting(e -> e.get("type"))
                .contains("ai.devana.job.pending", "ai.devana.job.done");
        assertThat(app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", done)).isEqualTo(1);
        assertThat(app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", pending)).isZero();
    }

    @Test
    void writes_a_page_of_new_jobs_together_and_skips_only_the_one_the_database_refuses() throws Exception {
        String first = emulator.job().type("SYNC").status("IN_PROGRESS").progress(5).add();
        startApp();
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 1);
        // the database refuses one job's row (as a constraint, a trigger or a value it cannot take would)
        String refused = "cm4jobrefusedbythedatabase";
        try (Connection connection = app.dataSource().getConnection()) {
            Transactions.update(connection, "ALTER TABLE job_state ADD CONSTRAINT test_refuses_one_job CHECK (job_id <> '"
                    + refused + "')");
        }
        String before = emulator.job().type("EXTRACTION").status("DONE").progress(100).add();
        emulator.job().id(refused).type("EMBEDDING").status("DONE").progress(100).add();
        String after = emulator.job().type("IMPORT").status("PENDING").add();
        emulator.update(first, "DONE", 100);

        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 4);
        assertThat(app.receivedEvents()).extracting(e -> e.get("subject")).containsExactlyInAnyOrder(first, first, before, after);
        assertThat(app.count("SELECT COUNT(*) FROM job_completions")).isEqualTo(2);
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = ?", refused)).isZero();
        await().atMost(CYCLES).until(() -> app.counter("devana.jobs.invalid", "reason", "not_recorded") >= 1);

        // once the database takes it, the next cycle records it, and nothing else again
        try (Connection connection = app.dataSource().getConnection()) {
            Transactions.update(connection, "ALTER TABLE job_state DROP CONSTRAINT test_refuses_one_job");
        }
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 5);
        assertThat(app.receivedEvents().get(4)).containsEntry("subject", refused);
        assertThat(app.count("SELECT COUNT(*) FROM job_completions")).isEqualTo(3);
        long pollsBefore = getJobsRequests();
        await().atMost(CYCLES).until(() -> getJobsRequests() >= pollsBefore + 2);
        assertThat(app.receivedEvents()).hasSize(5);
        assertThat(app.count("SELECT COUNT(*) FROM job_events")).isEqualTo(5);
    }

    @Test
    void announces_only_changes_status_and_progress() throws Exception {
        String id = emulator.job().type("TRANSCRIPTION").status("IN_PROGRESS").progress(10).add();
        startApp();
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 1);
        long pollsBefore = getJobsRequests();
        await().atMost(CYCLES).until(() -> getJobsRequests() >= pollsBefore + 2);
        assertThat(app.receivedEvents()).hasSize(1);

        emulator.update(id, "IN_PROGRESS", 55);
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 2);
        emulator.update(id, "DONE", 100);
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 3);

        List<Map<String, Object>> events = app.receivedEvents();
        assertThat(events).extracting(e -> (Object) ((Map<?, ?>) e.get("data")).get("progress")).containsExactly(10, 55, 100);
        assertThat(events).extracting(e -> e.get("id")).doesNotHaveDuplicates();
        assertThat(app.rows("SELECT status, progress FROM job_state WHERE job_id = ?", id))
                .singleElement().satisfies(row -> assertThat(row).containsEntry("status", "DONE").containsEntry("progress", 100));
    }

    @Test
    void counts_a_job_seen_again_unchanged_and_routes_it_no_further_unless_it_failed() throws Exception {
        String running = emulator.job().type("SYNC").status("IN_PROGRESS").progress(30).add();
        emulator.job().type("IMPORT").status("DONE").progress(100).add();
        emulator.job().type("EXTRACTION").target("cm4docSeenAgain").status("ERROR").error("PDF parsing failed").add();
        Configurator.setLevel("devana.jobs.dispatch", Level.DEBUG);
        try (LogCapture log = new LogCapture()) {
            startApp();
            await().atMost(CYCLES).until(() -> emulator.retryRequests().size() == 1 && app.receivedEvents().size() == 4);
            double observed = app.counter("devana.jobs.observed", "source", "poll");
            await().atMost(CYCLES).until(() -> app.counter("devana.jobs.observed", "source", "poll") >= observed + 12);

            // every sighting is counted, but the running job, seen as it was, is routed once: its DEBUG line comes once
            assertThat(log.count("job " + running + " running (30%)")).isEqualTo(1);
            emulator.update(running, "IN_PROGRESS", 60);
            await().atMost(CYCLES).until(() -> log.count("job " + running + " running (60%)") == 1);
            await().atMost(CYCLES).until(() -> app.receivedEvents().stream().filter(e -> running.equals(e.get("subject"))).count() == 2);
            assertThat(emulator.retryRequests()).hasSize(1);
        } finally {
            Configurator.setLevel("devana.jobs.dispatch", Level.INFO);
        }
    }

    @Test
    void retries_a_failed_extraction_by_reextract_and_an_embedding_by_reindex() throws Exception {
        String extraction = emulator.job().type("EXTRACTION").target("cm4docA").status("ERROR").error("PDF parsing failed").add();
        String embedding = emulator.job().type("EMBEDDING").target("cm4folderB").status("ERROR").error("model timeout").add();
        startApp();

        await().atMost(CYCLES).until(() -> emulator.retryRequests().size() == 2);
        assertThat(emulator.retryRequests()).extracting(r -> r.kind() + " " + r.targetId())
                .containsExactlyInAnyOrder("reextract cm4docA", "reindex cm4folderB");
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'REQUESTED'") == 2);
        assertThat(app.rows("SELECT failed_job_id, attempt, http_status FROM job_retries ORDER BY failed_job_id"))
                .extracting(r -> r.get("failed_job_id") + ":" + r.get("attempt") + ":" + r.get("http_status"))
                .containsExactlyInAnyOrder(extraction + ":1:202", embedding + ":1:202");
        await().atMost(CYCLES).until(() -> typesOf(app.receivedEvents()).stream()
                .filter("ai.devana.job.retry.requested"::equals).count() == 2);
    }

    @Test
    void numbers_retries_one_to_max_then_declares_the_target_exhausted() throws Exception {
        emulator.setRetryOutcome((target, type) -> RetryOutcome.FAIL);
        emulator.job().type("EXTRACTION").target("cm4docFlaky").status("ERROR").error("corrupted xref table").add();
        startApp();

        await().atMost(Duration.ofSeconds(60)).until(() ->
                app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'EXHAUSTED'") == 1);
        assertThat(app.rows("SELECT attempt, outcome FROM job_retries WHERE target_id = 'cm4docFlaky' ORDER BY decided_at"))
                .extracting(r -> r.get("outcome") + ":" + r.get("attempt"))
                .containsExactly("REQUESTED:1", "REQUESTED:2", "REQUESTED:3", "EXHAUSTED:null");
        assertThat(emulator.retryRequests()).hasSize(3);
        await().atMost(CYCLES).until(() -> typesOf(app.receivedEvents()).contains("ai.devana.job.retry.exhausted"));
        long pollsBefore = getJobsRequests();
        await().atMost(CYCLES).until(() -> getJobsRequests() >= pollsBefore + 2);
        assertThat(emulator.retryRequests()).hasSize(3);
    }

    /** Attempts are counted by target_key (indexed); a claim made before V4 has none and still counts, by its target id. */
    @Test
    void counts_a_retry_claimed_before_target_keys_existed_by_its_target_id() throws Exception {
        startApp(Map.of("devana.retry.max-attempts", "1"));
        try (Connection connection = app.dataSource().getConnection()) {
            Transactions.update(connection, "INSERT INTO job_retries (failed_job_id, target_id, target_key, job_type, attempt, "
                    + "outcome, http_status, decided_at, tries) VALUES ('cm4jobFailedBeforeV4', 'cm4docOld', NULL, 'EXTRACTION', 1, "
                    + "'REQUESTED', 202, ?, 1)", Instant.now());
        }
        String failed = emulator.job().type("EXTRACTION").target("cm4docOld").status("ERROR").error("corrupted xref table").add();

        await().atMost(CYCLES).until(() ->
                app.count("SELECT COUNT(*) FROM job_retries WHERE failed_job_id = ? AND outcome = 'EXHAUSTED'", failed) == 1);
        assertThat(emulator.retryRequests()).as("the one attempt allowed was used before V4").isEmpty();
    }

    @Test
    void sends_nothing_for_types_without_a_retry_call() throws Exception {
        String sync = emulator.job().type("SYNC").target("cm4srcS").status("ERROR").error("SharePoint 403").add();
        String unknown = emulator.job().type("OCR").target("cm4docO").status("ERROR").error("?").add();
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries") == 2);
        assertThat(app.rows("SELECT failed_job_id, outcome, http_status FROM job_retries"))
                .extracting(r -> r.get("failed_job_id") + ":" + r.get("outcome") + ":" + r.get("http_status"))
                .containsExactlyInAnyOrder(sync + ":UNSUPPORTED:null", unknown + ":UNSUPPORTED:null");
        assertThat(emulator.retryRequests()).isEmpty();
        assertThat(app.counter("devana.jobs.other", "kind", "type")).isEqualTo(1);
    }

    @Test
    void keeps_a_failed_retry_post_failed_and_sends_it_again_until_accepted() throws Exception {
        emulator.injectFault("POST /v1/documents", devana.emulator.Fault.status(503), 1);
        String failed = emulator.job().type("EXTRACTION").target("cm4docBusy").status("ERROR").add();
        startApp();

        await().atMost(CYCLES).until(() -> app.rows("SELECT outcome, http_status FROM job_retries").stream()
                .anyMatch(r -> "FAILED".equals(r.get("outcome")) && Integer.valueOf(503).equals(r.get("http_status"))));
        await().atMost(CYCLES).until(() -> app.rows("SELECT outcome FROM job_retries").stream()
                .anyMatch(r -> "REQUESTED".equals(r.get("outcome"))));
        assertThat(app.rows("SELECT failed_job_id, attempt, http_status, tries FROM job_retries")).singleElement()
                .satisfies(r -> assertThat(r).containsEntry("failed_job_id", failed).containsEntry("attempt", 1)
                        .containsEntry("http_status", 202).containsEntry("tries", 2));
        assertThat(emulator.retryRequests()).hasSize(1);
    }

    @Test
    void does_not_retry_a_failure_older_than_its_start_that_the_api_shows_retried_already() throws Exception {
        // What a run killed right after its retry POST leaves when its claim had not reached the disk yet:
        // the failed job, and the newer job of the same type that the POST made.
        String retriedBefore = emulator.job().type("EXTRACTION").target("cm4docCrash").status("ERROR").add();
        emulator.job().type("EXTRACTION").target("cm4docCrash").status("PENDING").add();
        // A newer job of another type for a failed target is not its retry.
        String notRetried = emulator.job().type("EMBEDDING").target("cm4folderOld").status("ERROR").add();
        emulator.job().type("EXTRACTION").target("cm4folderOld").status("DONE").progress(100).add();
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'REQUESTED'") == 2);
        assertThat(app.rows("SELECT failed_job_id, attempt, http_status FROM job_retries"))
                .extracting(r -> r.get("failed_job_id") + ":" + r.get("attempt") + ":" + r.get("http_status"))
                .containsExactlyInAnyOrder(retriedBefore + ":1:null", notRetried + ":1:202");
        assertThat(emulator.retryRequests()).extracting(r -> r.kind() + " " + r.targetId()).containsExactly("reindex cm4folderOld");
        assertThat(emulator.requests()).extracting(r -> r.method() + " " + r.query())
                .contains("GET targetId=cm4docCrash&limit=100", "GET targetId=cm4folderOld&limit=100");
        await().atMost(CYCLES).until(() -> typesOf(app.receivedEvents()).stream()
                .filter("ai.devana.job.retry.requested"::equals).count() == 2);
    }

    @Test
    void does_not_send_a_retry_again_when_only_its_answer_was_lost_to_a_timeout() throws Exception {
        emulator.injectFault("POST /v1/documents", devana.emulator.Fault.slow(Duration.ofMillis(2500)), 1);
        String failed = emulator.job().type("EXTRACTION").target("cm4docSlow").status("ERROR").add();
        java.util.Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("camel.component.http.response-timeout", "1000");
        settings.put("camel.component.http.so-timeout", "1000");
        app = RunningApp.start(settings);

        await().atMost(CYCLES).until(() -> app.rows("SELECT outcome, last_error FROM job_retries").stream()
                .anyMatch(r -> "FAILED".equals(r.get("outcome")) && "timed out".equals(r.get("last_error"))));
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'REQUESTED'") == 1);
        assertThat(app.rows("SELECT failed_job_id, attempt, http_status, last_error FROM job_retries")).singleElement()
                .satisfies(r -> assertThat(r).containsEntry("failed_job_id", failed).containsEntry("attempt", 1)
                        .containsEntry("http_status", null)
                        .hasEntrySatisfying("last_error", e -> assertThat((String) e).startsWith("not sent again: the API already shows")));
        long pollsBefore = getJobsRequests();
        await().atMost(CYCLES).until(() -> getJobsRequests() >= pollsBefore + 2);
        assertThat(emulator.retryRequests()).as("the POST the client gave up on went through; none after it").hasSize(1);
    }

    @Test
    void records_a_completion_of_an_unknown_type_or_unsafe_target_with_its_unknown_fields() throws Exception {
        String unknownType = emulator.job().type("OCR").status("DONE").progress(100).extra("pages", 12).add();
        String unsafeTarget = emulator.job().type("EXTRACTION").target("../../v1/admin").status("DONE")
                .metadata(Map.of("fileName", "a.pdf")).add();
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_completions") == 2);
        Map<String, Object> row = app.rows("SELECT job_type, job_json FROM job_completions WHERE job_id = ?", unknownType).get(0);
        assertThat(row.get("job_type")).isEqualTo("OCR");
        assertThat(Json.read((String) row.get("job_json"))).containsEntry("pages", 12);
        Map<String, Object> unsafe = app.rows("SELECT target_id, metadata FROM job_completions WHERE job_id = ?", unsafeTarget).get(0);
        assertThat(unsafe.get("target_id")).isEqualTo("../../v1/admin");
        assertThat(Json.read((String) unsafe.get("metadata"))).containsEntry("fileName", "a.pdf");
    }

    @Test
    void rejects_hostile_target_ids_without_any_request() throws Exception {
        List<String> hostile = List.of("../../v1/admin", "a/b", "x?y=1", "%2e%2e", "d".repeat(5000), "");
        for (String target : hostile) {
            emulator.job().type("EXTRACTION").target(target).status("ERROR").add();
        }
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'REJECTED'") == hostile.size());
        assertThat(emulator.requests()).allSatisfy(r -> assertThat(r.method()).isEqualTo("GET"));
        assertThat(emulator.retryRequests()).isEmpty();
        await().atMost(CYCLES).until(() -> typesOf(app.receivedEvents()).stream()
                .filter("ai.devana.job.retry.rejected"::equals).count() == hostile.size());
    }

    @Test
    void restarting_on_the_same_database_repeats_no_retry_and_no_completion() throws Exception {
        String failed = emulator.job().type("EXTRACTION").target("cm4docR").status("ERROR").add();
        String done = emulator.job().type("GENERATION").status("DONE").progress(100).add();
        startApp();
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'REQUESTED'") == 1
                && app.count("SELECT COUNT(*) FROM job_completions") == 1
                && app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0);
        int eventsFirstRun = app.receivedEvents().size();
        app.close();
        app = null;

        startApp();
        long pollsBefore = getJobsRequests();
        await().atMost(CYCLES).until(() -> getJobsRequests() >= pollsBefore + 2);
        assertThat(emulator.retryRequests()).hasSize(1);
        assertThat(app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", done)).isEqualTo(1);
        assertThat(app.count("SELECT COUNT(*) FROM job_retries")).isEqualTo(1);
        assertThat(eventsFirstRun).isGreaterThanOrEqualTo(3);
        assertThat(app.receivedEvents()).as("no event of the first run is announced again")
                .noneMatch(e -> failed.equals(e.get("subject")) || done.equals(e.get("subject")));
    }

    @Test
    void pages_through_more_than_1100_jobs_despite_jobs_inserted_mid_cycle() throws Exception {
        Instant start = Instant.now().minus(Duration.ofHours(1));
        for (int i = 0; i < 1150; i++) {
            emulator.job().type("EMBEDDING").status("DONE").progress(100).createdAt(start.plusSeconds(i)).add();
        }
        java.util.concurrent.atomic.AtomicInteger inserted = new java.util.concurrent.atomic.AtomicInteger();
        emulator.addRequestListener(request -> {
            if (request.query() != null && request.query().contains("offset=500") && inserted.getAndIncrement() == 0) {
                emulator.job().type("SYNC").status("PENDING").add();
            }
        });
        startApp();

        await().atMost(Duration.ofSeconds(40)).until(() -> app.count("SELECT COUNT(*) FROM job_state") >= 1100);
        List<String> getQueries = emulator.requests().stream().filter(r -> r.method().equals("GET"))
                .map(r -> r.query()).limit(11).toList();
        assertThat(getQueries).allSatisfy(q -> assertThat(q).contains("limit=100"));
        assertThat(getQueries.get(10)).contains("offset=1000");
        assertThat(emulator.requests()).noneMatch(r -> r.query() != null && r.query().contains("offset=1100"));
        assertThat(app.count("SELECT COUNT(*) FROM job_completions")).isEqualTo(app.count("SELECT COUNT(*) FROM job_state WHERE status = 'DONE'"));
        assertThat(app.receivedEvents()).extracting(e -> e.get("id")).doesNotHaveDuplicates();
    }

    @Test
    void records_nothing_and_says_so_when_the_api_key_is_wrong() throws Exception {
        emulator.job().type("EXTRACTION").status("DONE").add();
        Map<String, String> settings = settings();
        settings.put("devana.api-key", "not-the-key");
        app = RunningApp.start(settings);

        await().atMost(CYCLES).until(() -> app.counter("devana.api.failures", "status", "401") >= 2);
        assertThat(app.count("SELECT COUNT(*) FROM job_state")).isZero();
        assertThat(app.context().getRouteController().getRouteStatus("poll-devana-jobs-every-interval").isStarted()).isTrue();
    }

    @Test
    void honours_retry_after_of_a_429_before_calling_again() throws Exception {
        emulator.injectFault("GET /v1/jobs", devana.emulator.Fault.tooManyRequests(5), 1);
        emulator.job().type("IMPORT").status("PENDING").add();
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 1);
        List<Instant> calls = emulator.requests().stream().map(r -> r.at()).toList();
        assertThat(emulator.requests().get(0).status()).isEqualTo(429);
        assertThat(Duration.between(calls.get(0), calls.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(4900));
    }

    @Test
    void skips_a_cycle_on_an_html_500_or_malformed_json_and_recovers_on_the_next() throws Exception {
        emulator.injectFault("GET /v1/jobs", devana.emulator.Fault.html(500), 1);
        emulator.injectFault("GET /v1/jobs", devana.emulator.Fault.malformedJson(), 1);
        emulator.job().type("GENERATION").status("DONE").add();
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_completions") == 1);
        assertThat(emulator.requests()).extracting(r -> r.status()).startsWith(500, 200, 200);
        assertThat(app.counter("devana.api.failures", "status", "500")).isEqualTo(1);
        assertThat(app.counter("devana.cycle.failures", "kind", "malformed-page")).isEqualTo(1);
    }

    @Test
    void refuses_a_poll_interval_below_two_seconds_at_startup() throws Exception {
        Map<String, String> settings = settings();
        settings.put("devana.poll.interval", "1500");
        String failure = RunningApp.startupFailure(settings);
        assertThat(failure).isNotNull();
        assertThat(failure).contains("devana.poll.interval (DEVANA_POLL_INTERVAL) is 1500 ms");
        assertThat(emulator.requests()).isEmpty();
    }

    @Test
    void forgets_old_job_states_and_published_events_and_keeps_completions_and_what_is_still_pending() throws Exception {
        String live = emulator.job().type("SYNC").status("DONE").add();
        startApp(Map.of("jobs.state.retention-hours", "48", "jobs.state.prune-interval", "300",
                "jobs.events.prune-interval", "300", "jobs.housekeeping.delay", "0"));
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE job_id = ? AND published_at IS NOT NULL", live) == 1);

        // What earlier runs left: a job created 3 days ago (state, completion, a published and an unpublished
        // event, both older than the events' 7 days) and one created 40 h ago.
        Instant now = Instant.now();
        try (java.sql.Connection db = app.dataSource().getConnection()) {
            for (Map.Entry<String, Integer> job : Map.of("cm4jobOld", 72, "cm4jobRecent", 40).entrySet()) {
                Instant created = now.minus(Duration.ofHours(job.getValue()));
                Transactions.update(db, "INSERT INTO job_state (job_id, target_id, job_type, status, progress, created_at, "
                        + "updated_at, first_seen_at, changed_at, job_json, gone_at) VALUES (?, 'cm4target', 'SYNC', 'DONE', 100, ?, ?, ?, ?, '{}', ?)",
                        job.getKey(), created, created.plus(Duration.ofHours(1)), created, created.plus(Duration.ofHours(1)),
                        created.plus(Duration.ofHours(25)));
            }
            Transactions.update(db, "INSERT INTO job_completions (job_id, target_id, job_type, completed_at, recorded_at, job_json) "
                    + "VALUES ('cm4jobOld', 'cm4target', 'SYNC', ?, ?, '{}')", now.minus(Duration.ofHours(71)), now.minus(Duration.ofHours(71)));
            // the pending one is published once the app sees it: a CloudEvent as the app makes them
            String oldDone = new CloudEvents(Map.of("default", emulator.baseUrl()), new ObjectMapper())
                    .statusChanged("default", JobSnapshot.of(Map.of("id", "cm4jobOld", "type", "SYNC", "status", "DONE",
                            "targetId", "cm4target", "progress", 100)), now.minus(Duration.ofDays(9)), false).json();
            for (String eventId : List.of("old-published", "old-pending")) {
                Transactions.update(db, "INSERT INTO job_events (event_id, event_type, job_id, job_type, payload, created_at, published_at) "
                        + "VALUES (?, 'ai.devana.job.done', 'cm4jobOld', 'SYNC', ?, ?, ?)",
                        eventId, oldDone, now.minus(Duration.ofDays(9)), eventId.equals("old-published") ? now.minus(Duration.ofDays(8)) : null);
            }
        }

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobOld'") == 0
                && app.count("SELECT COUNT(*) FROM job_events WHERE event_id = 'old-published'") == 0);
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id IN (?, 'cm4jobRecent')", live)).isEqualTo(2);
        assertThat(app.count("SELECT COUNT(*) FROM job_completions WHERE job_id IN (?, 'cm4jobOld')", live)).isEqualTo(2);
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE job_id = ?", live)).as("a recent published event stays").isEqualTo(1);
        // An event not yet published when the pruning ran is never pruned (published by now, it stays a week).
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE event_id = 'old-pending'")).isEqualTo(1);
    }

    @Test
    void refuses_a_state_retention_shorter_than_twice_the_api_window_at_startup() throws Exception {
        Map<String, String> settings = settings();
        settings.put("jobs.state.retention-hours", "24");
        String failure = RunningApp.startupFailure(settings);
        assertThat(failure).contains("jobs.state.retention-hours (JOBS_STATE_RETENTION_HOURS) is 24");
        assertThat(emulator.requests()).isEmpty();
    }

    private long getJobsRequests() {
        return emulator.requests().stream().filter(r -> r.method().equals("GET")).count();
    }

    private static List<Object> typesOf(List<Map<String, Object>> events) {
        return events.stream().map(e -> e.get("type")).toList();
    }
}
