package devana.jobs.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database's guard around a look at the outbox (one or more batches): the publisher locks the outbox's claim row in a transaction of its
 * own, publishes, and lets go when the look's exchange completes. A second publisher (another instance that also
 * believes it leads) finds the row locked and skips its turn instead of sending the same events at the same time.
 * The lock lives as long as the holder's connection: a publisher that dies loses it with its connection, one that
 * is paused keeps it and the others wait. Marks (published_at) are written outside this transaction, one by one,
 * so that a crash between two sends repeats at most the event in flight, as before.
 */
public final class OutboxClaim {

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.publish");
    private static final String CLAIM = "SELECT name FROM outbox_claim WHERE name = 'outbox' FOR UPDATE SKIP LOCKED";

    private final DataSource dataSource;

    public OutboxClaim(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Takes the claim for this exchange's look, released when the exchange completes.
     *
     * @return true when another publisher holds it: this turn publishes nothing
     */
    public boolean heldElsewhere(Exchange exchange) throws SQLException {
        Connection connection = dataSource.getConnection();
        boolean taken = false;
        try {
            connection.setAutoCommit(false);
            try (PreparedStatement claim = connection.prepareStatement(CLAIM); ResultSet row = claim.executeQuery()) {
                taken = row.next();
            }
        } finally {
            if (!taken) {
                release(connection);
            }
        }
        if (taken) {
            exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
                @Override
                public void onDone(Exchange done) {
                    release(connection);
                }
            });
        } else {
            LOG.debug("outbox claimed by another publisher: this turn publishes nothing");
        }
        return !taken;
    }

    private static void release(Connection connection) {
        try (connection) {
            connection.rollback();
        } catch (SQLException e) {
            // the lock goes with the connection whatever happens here
            LOG.debug("outbox claim released with its connection: {}", e.getMessage());
        }
    }
}
