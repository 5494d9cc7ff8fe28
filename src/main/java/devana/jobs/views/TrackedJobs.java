package devana.jobs.views;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.ListingQuery;
import devana.jobs.contract.Token;
import devana.jobs.text.OneLine;
import devana.jobs.text.Secrets;
import devana.jobs.state.StoredForm;
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
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only answers over the tracked state (job_state, job_retries, job_completions):
 * GET /api/stats, the vendor page's get_job_statistics with the same keys plus retries and
 * completions, and GET /api/jobs, a listing with the Devana API's limits and error answers.
 */
public class TrackedJobs {

    public static final Duration WINDOW = Duration.ofHours(24);
    /** A stored job longer than this (characters of JSON) is shown by its columns only. */
    public static final int MAX_JOB_CHARS_SHOWN = 8192;
    /** In the jobs shown, strings are cut after this many characters and arrays after so many items. */
    public static final int MAX_STRING_CHARS_SHOWN = 1000;
    public static final int MAX_ARRAY_ITEMS_SHOWN = 50;
    /** /api/stats names at most this many types (or statuses) and sums the rest as OTHER. */
    public static final int MAX_NAMES = 50;

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.api");
    private static final TypeReference<Map<String, Object>> JSON_OBJECT = new TypeReference<>() { };
    private static final List<String> OUTCOMES = List.of("REQUESTED", "EXHAUSTED", "REJECTED", "UNSUPPORTED", "FAILED");

    private final DataSource dataSource;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final PollWatch polls;

    public TrackedJobs(DataSource dataSource, ObjectMapper mapper, Clock clock, PollWatch polls) {
        this.dataSource = dataSource;
        this.mapper = mapper;
        this.clock = clock;
        this.polls = polls;
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
            reply(exchange.getMessage(), 200, stats);
        } catch (SQLException e) {
            unavailable(exchange.getMessage(), e);
        }
    }

    /**
     * GET /api/jobs?status=&type=&targetId=&limit=&offset=: tracked jobs, most recently changed first,
     * each as the API gave it plus a "tracking" object (first seen, last change, retry decision).
     * {@code status} filters by status and {@code type} by job type (in the Devana API, {@code type}
     * is the status filter). limit 1..100 (default 25), offset 0..1000, as the API: else 400.
     */
    public void list(Exchange exchange) {
        Message message = exchange.getMessage();
        Map<String, String> query = ListingQuery.parameters(message.getHeader(Exchange.HTTP_QUERY, String.class));
        String status = query.get("status");
        String type = query.get("type");
        String targetId = query.get("targetId");
        if (status != null && !JobStatus.isKnown(status)) {
            refuse(message, "status must be one of PENDING, IN_PROGRESS, DONE, ERROR");
            return;
        }
        if (type != null && !Token.isValid(type, 64)) {
            refuse(message, "type must be a job type such as EXTRACTION or EMBEDDING");
            return;
        }
        ListingQuery window;
        try {
            window = ListingQuery.of(query);
        } catch (ListingQuery.Refused e) {
            refuse(message, e.getMessage());
            return;
        }

        // A job whose JSON is over MAX_JOB_CHARS_SHOWN is not even read: its columns stand for it. The
        // others are shortened (long strings and arrays cut). An answer is at most 100 x that size.
        StringBuilder sql = new StringBuilder("SELECT CASE WHEN CHAR_LENGTH(s.job_json) <= ? THEN s.job_json END AS job_json, "
                + "CHAR_LENGTH(s.job_json) AS json_chars, s.job_id, s.target_id, s.job_type, s.status, s.progress, "
                + "s.created_at, s.updated_at, s.first_seen_at, s.changed_at, r.outcome, r.attempt, "
                + "r.http_status, r.decided_at, r.last_error FROM job_state s "
                + "LEFT JOIN job_retries r ON r.failed_job_id = s.job_id WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        params.add(MAX_JOB_CHARS_SHOWN);
        if (status != null) {
            sql.append(" AND s.status = ?");
            params.add(status);
        }
        if (type != null) {
            sql.append(" AND s.job_type = ?");
            params.add(type);
        }
        if (targetId != null) {
            sql.append(" AND s.target_id = ?");
            params.add(targetId);
        }
        sql.append(" ORDER BY s.changed_at DESC, s.job_id OFFSET ? ROWS FETCH NEXT ? ROWS ONLY");
        params.add(window.offset());
        params.add(window.limit());

        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = Transactions.query(connection, sql.toString(), params.toArray());
             ResultSet rs = select.executeQuery()) {
            List<Map<String, Object>> jobs = new ArrayList<>();
            boolean anyCut = false;
            while (rs.next()) {
                String json = rs.getString("job_json");
                Map<String, Object> job;
                Map<String, Object> cut = null;
                if (json == null) {
                    job = summary(rs);
                    cut = Map.of("jsonChars", rs.getLong("json_chars"), "shown",
                            "the job's main fields only: its JSON is over " + MAX_JOB_CHARS_SHOWN + " characters");
                } else {
                    Map<String, Object> read = mapper.readValue(json, JSON_OBJECT);
                    job = StoredForm.shortened(read, MAX_STRING_CHARS_SHOWN, MAX_ARRAY_ITEMS_SHOWN);
                    if (!job.equals(read)) {
                        cut = Map.of("jsonChars", rs.getLong("json_chars"), "shown", "strings over "
                                + MAX_STRING_CHARS_SHOWN + " characters and arrays over " + MAX_ARRAY_ITEMS_SHOWN + " items cut");
                    }
                }
                anyCut |= cut != null;
                Map<String, Object> tracking = new LinkedHashMap<>();
                tracking.put("firstSeenAt", text(Transactions.instant(rs, "first_seen_at")));
                tracking.put("changedAt", text(Transactions.instant(rs, "changed_at")));
                String outcome = rs.getString("outcome");
                if (outcome != null) {
                    Map<String, Object> retry = new LinkedHashMap<>();
                    retry.put("outcome", outcome);
                    retry.put("attempt", rs.getObject("attempt"));
                    retry.put("httpStatus", rs.getObject("http_status"));
                    retry.put("decidedAt", text(Transactions.instant(rs, "decided_at")));
                    retry.put("lastError", Secrets.mask(rs.getString("last_error")));
                    tracking.put("retry", retry);
                } else {
                    tracking.put("retry", null);
                }
                if (cut != null) {
                    tracking.put("truncated", cut);
                }
                job.put("tracking", tracking);
                jobs.add(job);
            }
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("success", true);
            answer.put("data", jobs);
            answer.put("truncated", anyCut);
            reply(message, 200, answer);
        } catch (SQLException e) {
            unavailable(message, e);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored job is not JSON", e);
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

    /** A job too large to show, as its columns give it. */
    private static Map<String, Object> summary(ResultSet rs) throws SQLException {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("id", rs.getString("job_id"));
        job.put("targetId", StoredForm.cut(rs.getString("target_id"), MAX_STRING_CHARS_SHOWN));
        job.put("type", rs.getString("job_type"));
        job.put("status", rs.getString("status"));
        job.put("progress", rs.getObject("progress"));
        job.put("createdAt", text(Transactions.instant(rs, "created_at")));
        job.put("updatedAt", text(Transactions.instant(rs, "updated_at")));
        return job;
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

    private void refuse(Message message, String reason) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("success", false);
        answer.put("error", reason);
        reply(message, 400, answer);
    }

    private void unavailable(Message message, SQLException e) {
        LOG.warn("/api answer failed: database unavailable: {}", OneLine.printable(e.getMessage(), OneLine.FAILURE_LENGTH));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("success", false);
        answer.put("error", "database unavailable");
        reply(message, 503, answer);
    }

    private void reply(Message message, int status, Object answer) {
        try {
            message.setBody(mapper.writeValueAsString(answer));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an /api answer", e);
        }
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setHeader("Cache-Control", "no-store");
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
