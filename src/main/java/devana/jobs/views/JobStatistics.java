package devana.jobs.views;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.ListingQuery;
import devana.jobs.events.EventOutbox;
import devana.jobs.events.ParkedEvents;
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
    private final Map<String, PollWatch> polls;
    private final AccountFilter accounts;
    private final ApiAnswers answers;

    /** The statistics of the accounts whose poll watches {@code polls} holds, by name (devana.accounts' order). */
    public JobStatistics(DataSource dataSource, ObjectMapper mapper, Clock clock, Map<String, PollWatch> polls) {
        this.dataSource = dataSource;
        this.clock = clock;
        this.polls = Map.copyOf(polls);
        this.accounts = new AccountFilter(List.copyOf(polls.keySet()));
        this.answers = new ApiAnswers(mapper);
    }

    /** GET /api/stats: jobs whose last change is in the last 24 h, by status and type; retries and completions decided in them. */
    public void statistics(Exchange exchange) {
        Instant now = clock.instant();
        Instant since = now.minus(WINDOW);
        String account;
        try {
            account = accounts.of(ListingQuery.parameters(exchange.getMessage().getHeader(Exchange.HTTP_QUERY, String.class)));
        } catch (AccountFilter.Refused e) {
            answers.refuse(exchange.getMessage(), e.getMessage());
            return;
        }
        // every account's rows, or those of the one asked for ("account = account" keeps one SQL text for both)
        String whose = account == null ? "account = account" : "account = ?";
        Object[] mine = account == null ? new Object[] {since} : new Object[] {account, since};
        try (Connection connection = dataSource.getConnection()) {
            Map<String, Long> byStatus = counts(connection,
                    "SELECT status, COUNT(*) FROM job_state WHERE " + whose + " AND changed_at >= ? GROUP BY status", mine);
            Map<String, Long> byType = counts(connection,
                    "SELECT job_type, COUNT(*) FROM job_state WHERE " + whose + " AND changed_at >= ? GROUP BY job_type", mine);
            Map<String, Long> retries = new LinkedHashMap<>();
            OUTCOMES.forEach(outcome -> retries.put(outcome, 0L));
            retries.putAll(counts(connection,
                    "SELECT outcome, COUNT(*) FROM job_retries WHERE " + whose + " AND decided_at >= ? GROUP BY outcome", mine));
            long completions = counts(connection,
                    "SELECT 'all', COUNT(*) FROM job_completions WHERE " + whose
                            + " AND COALESCE(completed_at, recorded_at) >= ?", mine)
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
            stats.put("events_pending", account == null ? EventOutbox.pending(connection) : EventOutbox.pending(connection, account));
            stats.put("events_parked", ParkedEvents.count(connection, account));
            stats.put("window_hours", WINDOW.toHours());
            stats.put("since", since.toString());
            stats.put("generated_at", now.toString());
            // of the account asked for; of all, the least recent (null while one has none yet)
            Instant lastPoll = null;
            boolean every = true;
            for (String name : account == null ? accounts.accounts() : List.of(account)) {
                Instant last = polls.get(name).lastSuccess();
                every &= last != null;
                lastPoll = last == null ? lastPoll : lastPoll == null || last.isBefore(lastPoll) ? last : lastPoll;
            }
            stats.put("last_successful_poll", lastPoll == null || !every ? null : lastPoll.toString());
            stats.put("account", account);
            stats.put("accounts", accounts.accounts());
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
