package devana.jobs.events;

import devana.jobs.state.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outbox's parked events, the one home of their SQL: an event the bus refused for a reason no retry can fix
 * (BusRefusals) is counted at each refusal and parked after so many; the publisher passes parked events by. An
 * operator lists them, puts them back in line (republish), or puts back every event of a time range (backfill).
 */
public final class ParkedEvents {

    /** Longest reason kept (the column holds 1000 characters). */
    public static final int MAX_REASON = 1000;

    private ParkedEvents() {
    }

    /** What one refusal made of an event: its refusals so far, and whether that parked it. */
    public record Refusal(int refusals, boolean parked) {
    }

    /** A parked event as an operator sees it. */
    public record Parked(long seq, String eventId, String account, String eventType, String jobId, String jobType,
                         int refusals, String reason, Instant createdAt, Instant parkedAt) {

        public Map<String, Object> asMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("seq", seq);
            map.put("event_id", eventId);
            map.put("account", account);
            map.put("event_type", eventType);
            map.put("job_id", jobId);
            map.put("job_type", jobType);
            map.put("refusals", refusals);
            map.put("reason", reason);
            map.put("created_at", createdAt == null ? null : createdAt.toString());
            map.put("parked_at", parkedAt == null ? null : parkedAt.toString());
            return map;
        }
    }

    /**
     * Counts one refusal of the unpublished event {@code seq}, and parks it when that makes {@code parkAfter}. Null when
     * no such event waits (published or parked meanwhile, by another instance say): nothing to count.
     */
    public static Refusal refused(Connection connection, long seq, String reason, int parkAfter, Instant now)
            throws SQLException {
        String kept = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason;
        int changed = Transactions.update(connection, "UPDATE job_events SET refusals = refusals + 1, park_reason = ?, "
                        + "parked_at = CASE WHEN refusals + 1 >= ? THEN CAST(? AS TIMESTAMP WITH TIME ZONE) ELSE NULL END "
                        + "WHERE seq = ? AND published_at IS NULL AND parked_at IS NULL",
                kept, parkAfter, now, seq);
        if (changed == 0) {
            return null;
        }
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT refusals, parked_at FROM job_events WHERE seq = ?", seq);
             ResultSet rs = select.executeQuery()) {
            rs.next();
            return new Refusal(rs.getInt(1), rs.getTimestamp(2) != null);
        }
    }

    /** The parked events (of one account, or all when null). */
    public static long count(Connection connection, String account) throws SQLException {
        try (PreparedStatement count = Transactions.query(connection, "SELECT COUNT(*) FROM job_events "
                + "WHERE published_at IS NULL AND parked_at IS NOT NULL AND " + whose(account), accountParameter(account));
             ResultSet rs = count.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The parked events (of one account, or all when null), oldest first: {@code limit} of them after {@code offset}. */
    public static List<Parked> list(Connection connection, String account, int offset, int limit) throws SQLException {
        List<Parked> parked = new ArrayList<>();
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT seq, event_id, account, event_type, job_id, job_type, refusals, park_reason, created_at, parked_at "
                        + "FROM job_events WHERE published_at IS NULL AND parked_at IS NOT NULL AND " + whose(account)
                        + " ORDER BY seq OFFSET " + Math.max(0, offset) + " ROWS FETCH FIRST " + Math.max(1, limit) + " ROWS ONLY",
                accountParameter(account));
             ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                parked.add(new Parked(rs.getLong("seq"), rs.getString("event_id"), rs.getString("account"),
                        rs.getString("event_type"), rs.getString("job_id"), rs.getString("job_type"), rs.getInt("refusals"),
                        rs.getString("park_reason"), Transactions.instant(rs, "created_at"), Transactions.instant(rs, "parked_at")));
            }
        }
        return parked;
    }

    /**
     * Puts parked events back in line, each with its refusals counted from zero again: those of {@code eventIds}, or
     * every parked event when it is empty. They go out in their place in the outbox's order (seq).
     *
     * @return how many were put back
     */
    public static int republish(Connection connection, List<String> eventIds) throws SQLException {
        String which = eventIds.isEmpty() ? "" : " AND event_id IN (" + String.join(", ", Collections.nCopies(eventIds.size(), "?")) + ")";
        return Transactions.update(connection, "UPDATE job_events SET parked_at = NULL, refusals = 0 "
                + "WHERE published_at IS NULL AND parked_at IS NOT NULL" + which, eventIds.toArray());
    }

    /**
     * Puts back in line every event written from {@code since} (included) to {@code until} (excluded), of one account or
     * all when null: published ones are published again (with the same ids, so a consumer that has them drops them),
     * parked ones get their refusals counted from zero.
     *
     * @return how many were put back
     */
    public static int backfill(Connection connection, Instant since, Instant until, String account) throws SQLException {
        List<Object> parameters = new ArrayList<>(List.of(since, until));
        parameters.addAll(List.of(accountParameter(account)));
        return Transactions.update(connection, "UPDATE job_events SET published_at = NULL, parked_at = NULL, refusals = 0 "
                + "WHERE created_at >= ? AND created_at < ? AND (published_at IS NOT NULL OR parked_at IS NOT NULL) AND "
                + whose(account), parameters.toArray());
    }

    /** The oldest event the outbox still holds (published events are pruned after jobs.events.retention-hours), or null. */
    public static Instant oldest(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT MIN(created_at) FROM job_events");
             ResultSet rs = select.executeQuery()) {
            rs.next();
            Timestamp oldest = rs.getTimestamp(1);
            return oldest == null ? null : oldest.toInstant();
        }
    }

    /** "account = account" keeps one SQL text for one account and for all. */
    private static String whose(String account) {
        return account == null ? "account = account" : "account = ?";
    }

    private static Object[] accountParameter(String account) {
        return account == null ? new Object[0] : new Object[] {account};
    }
}
