package devana.jobs.health;

import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;

/**
 * Readiness: the database answers SELECT 1 within {@link DatabaseProbe#PATIENCE}; the message says why
 * not otherwise (it did not answer in time, or the driver's error), on one line.
 */
public class DatabaseCheck extends ReadinessCheck {

    private final DatabaseProbe probe;

    public DatabaseCheck(DatabaseProbe probe) {
        super("database");
        this.probe = probe;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String unanswered = probe.unanswered();
        if (unanswered == null) {
            builder.up();
        } else {
            builder.message(unanswered).down();
        }
    }
}
