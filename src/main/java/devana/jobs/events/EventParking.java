package devana.jobs.events;

import devana.jobs.pacing.FailurePause;
import devana.jobs.state.Transactions;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the publisher's error handler (bus-errors) makes of a failed look at the outbox. An outage (the bus down,
 * a timeout, the database) pauses the publisher as before: the events wait, in order, and nothing is parked. A
 * refusal of one event that no retry can fix (BusRefusals) is counted on that event; at the
 * {@code parkAfter}-th the event is parked, and the publisher goes on at once with the events behind it. A bus that
 * refuses every event for good is a setting (a permission, a limit set too low), not one event: after
 * {@value #MAX_PARKED_IN_A_ROW} parked in a row with no event taken by the bus between them, nothing more is parked
 * (the refusals are outages) until the bus takes one again.
 *
 * <p>Sets the headers the route's log line reads: {@code publishFailure} ({@code outage}, {@code refused} or
 * {@code parked}), {@code publishRefusals}, {@code publishRefusalReason}, {@code publishPauseMillis} and
 * {@code publishParkedInARow} (the most parked in a row).
 */
public final class EventParking {

    public static final String OUTAGE = "outage";
    public static final String REFUSED = "refused";
    public static final String PARKED = "parked";
    /** Refused for good, but too many were parked in a row: the publisher waits, as in an outage. */
    public static final String REFUSING_ALL = "refusing-all";

    /** Events parked in a row, with no event taken by the bus between them, before parking stops. */
    public static final int MAX_PARKED_IN_A_ROW = 10;

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.publish");

    private final Transactions tx;
    private final FailurePause busPause;
    private final int parkAfter;
    private final Clock clock;
    private int parkedInARow;

    public EventParking(Transactions tx, FailurePause busPause, int parkAfter, Clock clock) {
        this.tx = tx;
        this.busPause = busPause;
        this.parkAfter = parkAfter;
        this.clock = clock;
    }

    /** A look at the outbox failed: the failure's kind in the headers (class comment), the publisher paused or not. */
    public synchronized void failed(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Long seq = exchange.getProperty("eventSeq", Long.class);
        Optional<String> refusal = BusRefusals.permanent(failure);
        ParkedEvents.Refusal counted = null;
        // the bus took events since the last failure: an earlier batch of this look, or events of this batch before it
        if (index(exchange, Exchange.LOOP_INDEX) > 0 || index(exchange, Exchange.SPLIT_INDEX) > 0) {
            parkedInARow = 0;
        }
        boolean refusingAll = refusal.isPresent() && parkedInARow >= MAX_PARKED_IN_A_ROW;
        if (seq != null && refusal.isPresent() && !refusingAll) {
            try {
                counted = tx.inTransaction(connection -> ParkedEvents.refused(connection, seq, refusal.get(), parkAfter,
                        clock.instant()));
            } catch (SQLException e) {
                // the refusal is not counted: this look is an outage like any other, the event is tried again
                LOG.debug("refusal of event {} not counted", seq, e);
            }
        }
        String kind;
        long pause;
        if (refusingAll) {
            kind = REFUSING_ALL;
            pause = busPause.failed();
        } else if (counted == null) {
            kind = OUTAGE;
            pause = busPause.failed();
        } else if (counted.parked()) {
            // the bus works: the events behind go on at the next look, with no pause
            parkedInARow++;
            kind = PARKED;
            busPause.succeeded();
            pause = 0;
        } else {
            kind = REFUSED;
            pause = busPause.failed();
        }
        exchange.getMessage().setHeader("publishFailure", kind);
        exchange.getMessage().setHeader("publishRefusals", counted == null ? 0 : counted.refusals());
        exchange.getMessage().setHeader("publishRefusalReason", refusal.orElse(null));
        exchange.getMessage().setHeader("publishPauseMillis", pause);
        exchange.getMessage().setHeader("publishParkedInARow", MAX_PARKED_IN_A_ROW);
    }

    private static int index(Exchange exchange, String property) {
        Integer index = exchange.getProperty(property, Integer.class);
        return index == null ? 0 : index;
    }

    /** A look at the outbox ended well (every event it read was taken): the next failure waits the shortest pause. */
    public synchronized void succeeded() {
        parkedInARow = 0;
        busPause.succeeded();
    }
}
