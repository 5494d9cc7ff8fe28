package devana.jobs.views;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.events.EventOutbox;
import devana.jobs.health.PollWatch;
import devana.jobs.state.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.apache.camel.Exchange;

/**
 * GET /api/stats: the vendor page's get_job_statistics over the tracked state (job_state, job_retries,
 * job_completions), with the same keys plus retries and completions.
 */
public class JobStatistics {

    public static final Duration WINDOW = Duration.ofHours(24);
    /** /api/stats names at most this many types (or statuses) and sums the rest as OTHER. */
    public static final int MAX_NAMES = 50;

    private static final List<String> OUTCOMES = List.of("REQUESTED", "EXHAUSTED", "REJECTED", "UNSUPPORTED", "FAILED");

    private final DataSource dataSource;
    private final Clock clock;
    private final PollWatch polls;
    private final ApiAnswers answers;

    public JobStatistics(DataSource dataSource, ObjectMapper mapper, Clock clock, PollWatch polls) {
        this.dataSource = dataSource;
        this.clock = clock;
        this.polls = polls;
        this.answers = new ApiAnswers(mapper);
    }

    /** GET /api/stats: jobs whose last change is in the last 24 h, by status and type; retries and completions decided in them. */
    public void statistics(Exchange exchange) {
        Instant now = clock.instant();
        Instant since = now.minus(WINDOW);
        try (Connection connection = dataSource.getConnection()) {
            Map<String, Long> byStatus = counts(connection,
                    "SELECT status, COUNT(*) FROM job_state WHERE changed_at >= ? GROUP BY status", since);
            Map<String, Long> byType = counts(connection,
                    "SELECT job_type, COUNT(*) FROM job_state WHERE changed_at >= ? GROUP BY job_type", since);
            Map<String, Long> retries = new LinkedHashMap<>();
            OUTCOMES.forEach(outcome -> retries.put(outcome, 0L));
            retries.putAll(counts(connection,
                    "SELECT outcome, COUNT(*) FROM job_retries WHERE decided_at >= ? GROUP BY outcome", since));
            long completions = counts(connection,
                    "SELECT 'all', COUNT(*) FROM job_completions WHERE COALESCE(completed_at, recorded_at) >= ?", since)
                    .getOrDefault("all", 0L);

            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("total", byStatus.values().stream().mapToLong(Long::longValue).sum());
            stats.put("pending", byStatus.getOrDefault("PENDING", 0L));
            stats.put("in_progress", byStatus.getOrDefault("IN_PROGRESS", 0L));
            stats.put("done", byStatus.getOrDefault("DONE", 0L));
            stats.put("error", byStatus.getOrDefault("ERROR", 0L));
            stats.put("by_type", largest(byType));
            stats.put("by_status", largest(byStatus));
            stats.put("retries", retries);
            stats.put("retries_total", retries.values().stream().mapToLong(Long::longValue).sum());
            stats.put("completions", completions);
            stats.put("events_pending", EventOutbox.pending(connection));
            stats.put("window_hours", WINDOW.toHours());
            stats.put("since", since.toString());
            stats.put("generated_at", now.toString());
            Instant lastPoll = polls.lastSuccess();
            stats.put("last_successful_poll", lastPoll == null ? null : lastPoll.toString());
            answers.reply(exchange.getMessage(), 200, stats);
        } catch (SQLException e) {
            answers.unavailable(exchange.getMessage(), e);
        }
    }

    /** The MAX_NAMES largest counts, the rest summed as OTHER: types and statuses come from the API. */
    private static Map<String, Long> largest(Map<String, Long> counts) {
        if (counts.size() <= MAX_NAMES) {
            return counts;
        }
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        Map<String, Long> kept = new TreeMap<>();
        long other = 0;
        for (int i = 0; i < sorted.size(); i++) {
            if (i < MAX_NAMES - 1) {
                kept.put(sorted.get(i).getKey(), sorted.get(i).getValue());
            } else {
                other += sorted.get(i).getValue();
            }
        }
        kept.merge("OTHER", other, Long::sum);
        return kept;
    }

    private static Map<String, Long> counts(Connection connection, String sql, Object... params) throws SQLException {
        Map<String, Long> counts = new TreeMap<>();
        try (PreparedStatement select = Transactions.query(connection, sql, params); ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getLong(2));
            }
        }
        return counts;
    }
}
