package devana.jobs.health;

import devana.jobs.text.OneLine;
import devana.jobs.pacing.FailurePause;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.camel.health.HealthCheckResultBuilder;

/**
 * Readiness: the events endpoint (jobs.events.uri) took the last batch it was given. While the
 * publisher backs off after a failure the check is DOWN; the events wait in the outbox meanwhile.
 * Parked events (refused by the bus for good) are shown in its details; they do not make it DOWN:
 * the bus takes the others, and no restart would bring them out.
 */
public class BusCheck extends ReadinessCheck {

    private final FailurePause publisher;
    private final LongSupplier pendingEvents;
    private final LongSupplier parkedEvents;
    private final String component;

    /** Only the endpoint's scheme is shown: a bus URI may carry credentials. */
    public BusCheck(FailurePause publisher, LongSupplier pendingEvents, LongSupplier parkedEvents, String eventsUri) {
        super("bus");
        this.publisher = publisher;
        this.pendingEvents = pendingEvents;
        this.parkedEvents = parkedEvents;
        int colon = eventsUri.indexOf(':');
        this.component = colon > 0 ? eventsUri.substring(0, colon) : eventsUri;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("events.component", component);
        try {
            builder.detail("events.pending", pendingEvents.getAsLong());
        } catch (RuntimeException e) {
            builder.detail("events.pending", "unknown (" + OneLine.printable(e.getMessage(), OneLine.FAILURE_LENGTH) + ")");
        }
        try {
            builder.detail("events.parked", parkedEvents.getAsLong());
        } catch (RuntimeException e) {
            builder.detail("events.parked", "unknown (" + OneLine.printable(e.getMessage(), OneLine.FAILURE_LENGTH) + ")");
        }
        int failures = publisher.failures();
        if (failures > 0) {
            builder.detail("publish.failures.in.a.row", failures);
            builder.message("the events endpoint refused the last " + failures + " batch(es); "
                    + "events wait in the outbox").down();
        } else {
            builder.up();
        }
    }
}
