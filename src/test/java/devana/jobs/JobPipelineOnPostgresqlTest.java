package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.retry.RetryClaims;
import devana.jobs.state.Transactions;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pipeline suite on PostgreSQL: each test in a schema of its own, migrated from scratch by the app. */
class JobPipelineOnPostgresqlTest extends JobPipelineTest {

    @Override
    protected TestDatabase openDatabase(Path dataDir) throws Exception {
        return TestDatabase.postgresql();
    }

    /**
     * Two instances deciding two failures of one target at once: the other instance's claim of attempt 1
     * is written but not yet committed when this one counts (none used) and claims attempt 1 too. The
     * database makes this claim wait for the other, then refuses it; the next cycle counts the other's
     * attempt and, with one attempt allowed, decides EXHAUSTED. Nothing is sent twice.
     */
    @Test
    void gives_one_attempt_number_of_a_target_to_one_instance_only() throws Exception {
        RunningApp app = startApp(Map.of("devana.retry.max-attempts", "1"));
        String target = "cm4docRace";
        String failed;
        try (Connection otherInstance = app.dataSource().getConnection()) {
            otherInstance.setAutoCommit(false);
            Transactions.update(otherInstance, "INSERT INTO job_retries (failed_job_id, target_id, target_key, job_type, attempt, "
                    + "outcome, http_status, decided_at, tries) VALUES ('cm4jobFailedSeenByTheOtherInstance', ?, ?, 'EXTRACTION', 1, "
                    + "'REQUESTED', 202, ?, 1)", target, RetryClaims.targetKey(target), Instant.now());
            failed = emulator.job().type("EXTRACTION").target(target).status("ERROR").add();
            await().atMost(Duration.ofSeconds(20)).until(() -> app.count("SELECT COUNT(*) FROM pg_stat_activity "
                    + "WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO job_retries%'") == 1);
            otherInstance.commit();
        }

        await().atMost(Duration.ofSeconds(20))
                .until(() -> app.count("SELECT COUNT(*) FROM job_retries WHERE failed_job_id = ? AND outcome = 'EXHAUSTED'", failed) == 1);
        assertThat(emulator.retryRequests()).as("no second attempt 1 sent").isEmpty();
        assertThat(app.count("SELECT COUNT(*) FROM job_retries WHERE target_id = ? AND attempt = 1", target)).isEqualTo(1);
    }

    @Test
    void migrates_into_the_schema_named_by_the_jdbc_url() throws Exception {
        RunningApp app = startApp();

        assertThat(app.rows("SELECT current_schema() AS s").get(0).get("s")).asString().startsWith("t_");
        assertThat(app.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"))
                .extracting(row -> row.get("table_name"))
                .contains("job_state", "job_completions", "job_retries", "job_events", "webhook_deliveries", "outbox_claim", "flyway_schema_history");
        assertThat(app.rows("SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank"))
                .extracting(row -> row.get("version") + ":" + row.get("success"))
                .containsExactly("1:true", "2:true", "3:true", "4:true", "5:true", "6:true", "7:true");
    }

    /**
     * A job whose rows the database refuses (here a trigger refuses it) is skipped with one line and tried again each
     * cycle (JobLedger.observe); the others of its page are recorded once, with one event each, and it is recorded once
     * the database takes it. Before, it failed the whole cycle, every cycle, and the jobs after it were never recorded.
     */
    @Test
    void records_the_rest_of_a_page_when_one_job_cannot_be_written_and_that_one_once_it_can() throws Exception {
        RunningApp app = startApp();
        try (Connection connection = app.dataSource().getConnection(); java.sql.Statement sql = connection.createStatement()) {
            sql.execute("CREATE FUNCTION refuse_one_job() RETURNS trigger AS $$ BEGIN IF NEW.job_id = 'cm4jobRefused1' THEN "
                    + "RAISE EXCEPTION 'this row is refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
            sql.execute("CREATE TRIGGER refuse_one_job BEFORE INSERT OR UPDATE ON job_state FOR EACH ROW EXECUTE FUNCTION refuse_one_job()");
        }
        java.util.List<String> done = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            done.add(emulator.job().type("EMBEDDING").status("DONE").progress(100).add());
        }
        emulator.job().id("cm4jobRefused1").type("EMBEDDING").status("DONE").progress(100).add();

        await().atMost(Duration.ofSeconds(20)).until(() -> app.count("SELECT COUNT(*) FROM job_completions") == 4);
        // a few more cycles: the refused job is tried each time, the others are neither lost nor written again
        double cycles = app.counter("devana.poll.cycles");
        await().atMost(Duration.ofSeconds(20)).until(() -> app.counter("devana.poll.cycles") >= cycles + 3);
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE job_id = 'cm4jobRefused1'")).isZero();
        assertThat(app.rows("SELECT job_id FROM job_completions ORDER BY job_id")).extracting(row -> row.get("job_id"))
                .containsExactlyInAnyOrderElementsOf(done);
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE event_type = 'ai.devana.job.done'")).isEqualTo(4);

        try (Connection connection = app.dataSource().getConnection(); java.sql.Statement sql = connection.createStatement()) {
            sql.execute("DROP TRIGGER refuse_one_job ON job_state");
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> app.count("SELECT COUNT(*) FROM job_completions") == 5);
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE event_type = 'ai.devana.job.done'")).isEqualTo(5);
        assertThat(app.count("SELECT COUNT(DISTINCT event_id) FROM job_events")).isEqualTo(app.count("SELECT COUNT(*) FROM job_events"));
    }
}
