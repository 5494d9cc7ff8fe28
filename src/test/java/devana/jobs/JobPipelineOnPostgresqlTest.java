package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The pipeline suite on PostgreSQL: each test in a schema of its own, migrated from scratch by the app. */
class JobPipelineOnPostgresqlTest extends JobPipelineTest {

    @Override
    protected TestDatabase openDatabase(Path dataDir) throws Exception {
        return TestDatabase.postgresql();
    }

    @Test
    void migrates_into_the_schema_named_by_the_jdbc_url() throws Exception {
        RunningApp app = startApp();

        assertThat(app.rows("SELECT current_schema() AS s").get(0).get("s")).asString().startsWith("t_");
        assertThat(app.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"))
                .extracting(row -> row.get("table_name"))
                .contains("job_state", "job_completions", "job_retries", "job_events", "flyway_schema_history");
        assertThat(app.rows("SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank"))
                .extracting(row -> row.get("version") + ":" + row.get("success"))
                .containsExactly("1:true", "2:true", "3:true");
    }
}
