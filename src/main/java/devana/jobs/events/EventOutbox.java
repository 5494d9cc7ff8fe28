package devana.jobs.events;

import devana.jobs.state.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Appends events to the outbox table inside the caller's transaction; the publish route sends them. */
public final class EventOutbox {

    private static final String INSERT = "INSERT INTO job_events (event_id, account, event_type, job_id, job_type, target_id, payload, "
            + "created_at, traceparent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private EventOutbox() {
    }

    /** @return false when an event with the same id is already there (the same change, seen again) */
    public static boolean append(Connection connection, CloudEvents.Event event, Instant now) throws SQLException {
        if (event == null) {
            return false;
        }
        return Transactions.insertIfAbsent(connection, INSERT,
                event.id(), event.account(), event.type(), event.jobId(), event.jobType(), event.targetId(), event.json(), now,
                event.traceparent());
    }

    /**
     * Appends the events that are not there yet (by id) with one batch of inserts; a null (a status that has no event
     * type) is no event, as for {@link #append}.
     *
     * @return the ids of the events appended
     */
    public static Set<String> appendAll(Connection connection, List<CloudEvents.Event> candidates, Instant now)
            throws SQLException {
        List<CloudEvents.Event> events = candidates.stream().filter(Objects::nonNull).toList();
        Set<String> present = new HashSet<>();
        if (events.isEmpty()) {
            return present;
        }
        try (PreparedStatement select = Transactions.query(connection, "SELECT event_id FROM job_events WHERE event_id IN ("
                + String.join(", ", Collections.nCopies(events.size(), "?")) + ")", events.stream().map(CloudEvents.Event::id).toArray());
             ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                present.add(rs.getString(1));
            }
        }
        Set<String> appended = new HashSet<>();
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            for (CloudEvents.Event event : events) {
                if (!present.contains(event.id()) && appended.add(event.id())) {
                    Transactions.addBatch(insert, event.id(), event.account(), event.type(), event.jobId(), event.jobType(),
                            event.targetId(), event.json(), now, event.traceparent());
                }
            }
            if (!appended.isEmpty()) {
                insert.executeBatch();
            }
        }
        return appended;
    }

    /**
     * The account's next events to publish, oldest first, at most {@code limit}: the rows the app's publish route reads
     * (seq, event_id, event_type, job_id, job_type, target_id, payload), for one account, as a Kamelet publishes them.
     * In the order of the index job_events_unpublished, as the publish route's query.
     */
    public static List<Map<String, Object>> nextOfAccount(Connection connection, String account, int limit) throws SQLException {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT seq, event_id, event_type, job_id, job_type, target_id, payload FROM job_events WHERE published_at IS NULL "
                        + "AND parked_at IS NULL AND account = ? ORDER BY published_at, parked_at, seq FETCH FIRST " + limit
                        + " ROWS ONLY", account);
             ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (String column : new String[] {"seq", "event_id", "event_type", "job_id", "job_type", "target_id", "payload"}) {
                    row.put(column, rs.getObject(column));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** The event the bus took: published now. */
    public static void markPublished(Connection connection, long seq) throws SQLException {
        Transactions.update(connection, "UPDATE job_events SET published_at = CURRENT_TIMESTAMP WHERE seq = ?", seq);
    }

    /** The account's events written but not yet taken by the bus, the parked ones (ParkedEvents) aside. */
    public static long pending(Connection connection, String account) throws SQLException {
        try (PreparedStatement count = Transactions.query(connection,
                "SELECT COUNT(*) FROM job_events WHERE published_at IS NULL AND parked_at IS NULL AND account = ?", account);
             ResultSet rs = count.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Events written but not yet taken by the bus, the parked ones (ParkedEvents) aside. */
    public static long pending(Connection connection) throws SQLException {
        try (PreparedStatement count = connection.prepareStatement(
                "SELECT COUNT(*) FROM job_events WHERE published_at IS NULL AND parked_at IS NULL");
             ResultSet rs = count.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
