package devana.jobs.health;

import devana.jobs.text.OneLine;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.health.HealthCheckResultBuilder;

/** Readiness: the database answers a trivial query within a few seconds. */
public class DatabaseCheck extends ReadinessCheck {

    private final DataSource dataSource;

    public DatabaseCheck(DataSource dataSource) {
        super("database");
        this.dataSource = dataSource;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(3);
            statement.execute("SELECT 1");
            builder.up();
        } catch (SQLException e) {
            builder.message("database unavailable: " + OneLine.printable(e.getMessage(), OneLine.FAILURE_LENGTH)).down();
        }
    }
}
