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
                .containsExactly("1:true", "2:true", "3:true", "4:true", "5:true", "6:true", "7:true", "8:true", "9:true", "10:true");
    }
}
