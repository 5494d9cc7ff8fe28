package devana.jobs.poll;

import java.util.concurrent.Semaphore;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * The full scans under way in this process, at most {@code limit} at once (devana.poll.full-scans-at-once). A full
 * scan holds its account's visible jobs, up to 1,100, from its first page until they are recorded and dispatched; a
 * hundred accounts whose first scans all start together would hold 110,000 jobs and compete for the same database
 * connections. A scan that is due and finds no room waits for a later cycle; the account's incremental cycles go on
 * meanwhile. One instance is shared by every account's {@link PollPlanner}.
 */
public final class FullScans {

    private final int limit;
    private final Semaphore room;

    public FullScans(int limit) {
        this.limit = limit;
        this.room = new Semaphore(limit);
    }

    /**
     * Takes a place for the cycle of this exchange, if there is one: it is given back when the exchange is done,
     * whichever way the cycle ends (all pages read and recorded, or abandoned on a failure).
     */
    boolean tryStart(Exchange exchange) {
        if (!room.tryAcquire()) {
            return false;
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                room.release();
            }
        });
        return true;
    }

    /** How many full scans are under way now. */
    public int running() {
        return limit - room.availablePermits();
    }
}
