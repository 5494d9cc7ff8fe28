package devana.jobs.state;

import static org.assertj.core.api.Assertions.assertThat;

import devana.jobs.retry.RetryClaims;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queries every cycle of every account runs, and the publisher's every batch, read H2 by an index down to what
 * they look for, not every row the account or the outbox ever had: on an account of 5,000 finished jobs and 3,000
 * settled retry claims, H2's own plan says which index conditions it uses. (The answers themselves are the pipeline suite's business.)
 */
class CycleQueryPlansTest {

    private final JdbcDataSource h2 = new JdbcDataSource();
    private Connection connection;

    @BeforeEach
    void fill() throws SQLException {
        h2.setURL("jdbc:h2:mem:plans" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        Flyway.configure().dataSource(h2).locations("classpath:db/migration").load().migrate();
        connection = h2.getConnection();
        try (Statement sql = connection.createStatement()) {
            for (String account : new String[] {"acme", "other"}) {
                sql.execute("INSERT INTO job_state (account, job_id, job_type, status, first_seen_at, changed_at, job_json) "
                        + "SELECT '" + account + "', 'job' || X, 'EXTRACTION', CASE WHEN X <= 3 THEN 'IN_PROGRESS' ELSE 'DONE' END, "
                        + "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}' FROM SYSTEM_RANGE(1, 5000)");
                sql.execute("INSERT INTO job_retries (account, failed_job_id, target_id, job_type, attempt, outcome, decided_at, "
                        + "tries, next_try_at, target_key) SELECT '" + account + "', 'job' || X, 'tgt' || X, 'EXTRACTION', 1, "
                        + "CASE WHEN X <= 2 THEN 'FAILED' ELSE 'REQUESTED' END, CURRENT_TIMESTAMP, 1, CURRENT_TIMESTAMP, "
                        + "'key' || X FROM SYSTEM_RANGE(1, 3000)");
            }
            sql.execute("ANALYZE");
        }
    }

    @AfterEach
    void close() throws SQLException {
        connection.close();
    }

    @Test
    void reads_an_accounts_active_jobs_by_account_and_status() throws SQLException {
        String plan = plan(JobLedger.ACTIVE_JOBS, "acme", "acme");

        assertThat(plan.split("UNION ALL")).hasSize(2).satisfiesExactly(
                pending -> assertThat(indexConditions(pending, "JOB_STATE_BY_STATUS")).contains("ACCOUNT = ?1", "STATUS = 'PENDING'"),
                running -> assertThat(indexConditions(running, "JOB_STATE_BY_STATUS")).contains("ACCOUNT = ?2",
                        "STATUS = 'IN_PROGRESS'"));
    }

    @Test
    void reads_an_accounts_due_retries_by_account_outcome_and_next_try() throws SQLException {
        Timestamp now = Timestamp.from(Instant.now());
        String plan = plan(RetryClaims.DUE, "acme", now, Timestamp.from(Instant.now().minusSeconds(86_400)));

        assertThat(indexConditions(plan, "JOB_RETRIES_DUE")).contains("ACCOUNT = ?1", "OUTCOME = 'FAILED'", "NEXT_TRY_AT <= ?2");
    }

    @Test
    void reads_a_publish_batch_in_the_order_of_the_unpublished_index_without_sorting_the_outbox() throws Exception {
        String route = Files.readString(Path.of("routes", "publish.camel.yaml"));
        Matcher select = Pattern.compile("sql:(SELECT [^\"]+ FROM job_events WHERE published_at IS NULL[^\"]*)").matcher(route);
        assertThat(select.find()).as("the publisher's query in routes/publish.camel.yaml").isTrue();
        String query = select.group(1).replace("{{jobs.events.batch-size}}", "100");

        String plan = plan(query);

        assertThat(indexConditions(plan, "JOB_EVENTS_UNPUBLISHED")).contains("PUBLISHED_AT IS NULL");
        // without it, H2 reads every pending event (a first scan of 100 accounts leaves 110,000) and sorts them, each batch
        assertThat(plan).contains("/* index sorted */");
    }

    /** The conditions H2 looks up in the index, from its plan's comment {@code /* PUBLIC.INDEX: A = 1 AND B = 2 *\/}. */
    private static String indexConditions(String plan, String index) {
        int start = plan.indexOf("PUBLIC." + index + ":");
        assertThat(start).as("the plan reads %s:%n%s", index, plan).isNotNegative();
        return plan.substring(start, plan.indexOf("*/", start));
    }

    private String plan(String query, Object... parameters) throws SQLException {
        try (PreparedStatement explain = connection.prepareStatement("EXPLAIN " + query)) {
            for (int i = 0; i < parameters.length; i++) {
                explain.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = explain.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
