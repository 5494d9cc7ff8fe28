package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * V7 (an account column everywhere, uniqueness per account) on a database that a single-account release filled:
 * its rows become the default account's, and what was unique per job is unique per account and job, on H2 and on
 * PostgreSQL with the same SQL.
 */
class AccountMigrationTest {

    @TempDir
    Path dataDir;

    @Test
    void keeps_a_single_account_databases_rows_as_the_default_accounts_on_h2() throws Exception {
        try (TestDatabase database = TestDatabase.h2(dataDir)) {
            migrateAndCheck(database.settings());
        }
    }

    @Test
    void keeps_a_single_account_databases_rows_as_the_default_accounts_on_postgresql() throws Exception {
        try (TestDatabase database = TestDatabase.postgresql()) {
            migrateAndCheck(database.settings());
        }
    }

    private static void migrateAndCheck(Map<String, String> settings) throws SQLException {
        String url = settings.get("jobs.db.url");
        String user = settings.get("jobs.db.user");
        flyway(url, user, "6").migrate();
        try (Connection connection = DriverManager.getConnection(url, user, null); Statement sql = connection.createStatement()) {
            sql.execute("INSERT INTO job_state (job_id, target_id, job_type, status, first_seen_at, changed_at, job_json, created_at) "
                    + "VALUES ('cm4jobOld1', 'cm4docOld', 'EXTRACTION', 'ERROR', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', CURRENT_TIMESTAMP)");
            sql.execute("INSERT INTO job_completions (job_id, target_id, job_type, recorded_at, job_json) "
                    + "VALUES ('cm4jobOld2', 'cm4docOld', 'EXTRACTION', CURRENT_TIMESTAMP, '{}')");
            sql.execute("INSERT INTO job_retries (failed_job_id, target_id, target_key, job_type, attempt, outcome, decided_at, tries) "
                    + "VALUES ('cm4jobOld1', 'cm4docOld', 'k1', 'EXTRACTION', 1, 'REQUESTED', CURRENT_TIMESTAMP, 1)");
            sql.execute("INSERT INTO job_events (event_id, event_type, job_id, job_type, payload, created_at) "
                    + "VALUES ('e-1', 'ai.devana.job.error', 'cm4jobOld1', 'EXTRACTION', '{}', CURRENT_TIMESTAMP)");
            sql.execute("INSERT INTO webhook_deliveries (delivery_key, job_id, received_at) VALUES ('d-1', 'cm4jobOld1', CURRENT_TIMESTAMP)");
        }

        assertThat(flyway(url, user, "7").migrate().migrationsExecuted).isEqualTo(1);

        try (Connection connection = DriverManager.getConnection(url, user, null); Statement sql = connection.createStatement()) {
            for (String table : List.of("job_state", "job_completions", "job_retries", "job_events", "webhook_deliveries")) {
                assertThat(column(sql, "SELECT account FROM " + table)).as(table).containsExactly("default");
            }
            assertThat(column(sql, "SELECT outcome FROM job_retries WHERE failed_job_id = 'cm4jobOld1'")).containsExactly("REQUESTED");
            // the same job id in another account is another row ...
            sql.execute("INSERT INTO job_state (account, job_id, job_type, status, first_seen_at, changed_at, job_json) "
                    + "VALUES ('acme', 'cm4jobOld1', 'EXTRACTION', 'DONE', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}')");
            sql.execute("INSERT INTO job_completions (account, job_id, job_type, recorded_at, job_json) "
                    + "VALUES ('acme', 'cm4jobOld2', 'EXTRACTION', CURRENT_TIMESTAMP, '{}')");
            sql.execute("INSERT INTO job_retries (account, failed_job_id, target_key, job_type, attempt, outcome, decided_at, tries) "
                    + "VALUES ('acme', 'cm4jobOld1', 'k1', 'EXTRACTION', 1, 'REQUESTED', CURRENT_TIMESTAMP, 1)");
            // ... and within one account it stays unique
            assertThatThrownBy(() -> sql.execute("INSERT INTO job_completions (account, job_id, job_type, recorded_at, job_json) "
                    + "VALUES ('default', 'cm4jobOld2', 'EXTRACTION', CURRENT_TIMESTAMP, '{}')")).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> sql.execute("INSERT INTO job_retries (account, failed_job_id, job_type, outcome, decided_at, tries) "
                    + "VALUES ('acme', 'cm4jobOld1', 'EXTRACTION', 'FAILED', CURRENT_TIMESTAMP, 1)")).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> sql.execute("INSERT INTO job_retries (account, failed_job_id, target_key, job_type, attempt, outcome, "
                    + "decided_at, tries) VALUES ('acme', 'cm4jobOther', 'k1', 'EXTRACTION', 1, 'FAILED', CURRENT_TIMESTAMP, 1)"))
                    .as("one attempt number per account, target and type").isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> sql.execute("INSERT INTO job_retries (account, failed_job_id, job_type, outcome, decided_at, tries) "
                    + "VALUES ('acme', 'cm4jobBad', 'EXTRACTION', 'MAYBE', CURRENT_TIMESTAMP, 1)")).isInstanceOf(SQLException.class);
        }
    }

    private static Flyway flyway(String url, String user, String target) {
        return Flyway.configure().dataSource(url, user, null).locations("classpath:db/migration").target(target).load();
    }

    private static List<String> column(Statement sql, String query) throws SQLException {
        List<String> values = new ArrayList<>();
        try (ResultSet rs = sql.executeQuery(query)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }
}
