package devana.jobs.views;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.ListingQuery;
import devana.jobs.contract.Token;
import devana.jobs.state.StoredForm;
import devana.jobs.state.Transactions;
import devana.jobs.text.Secrets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * GET /api/jobs: the tracked jobs (job_state, with their retry decision), a listing with the Devana API's
 * limits and error answers, each job shown in a bounded form.
 */
public class TrackedJobs {

    /** A stored job longer than this (characters of JSON) is shown by its columns only. */
    public static final int MAX_JOB_CHARS_SHOWN = 8192;
    /** In the jobs shown, strings are cut after this many characters and arrays after so many items. */
    public static final int MAX_STRING_CHARS_SHOWN = 1000;
    public static final int MAX_ARRAY_ITEMS_SHOWN = 50;

    private static final TypeReference<Map<String, Object>> JSON_OBJECT = new TypeReference<>() { };

    private final DataSource dataSource;
    private final ObjectMapper mapper;
    private final AccountFilter accounts;
    private final ApiAnswers answers;

    public TrackedJobs(DataSource dataSource, ObjectMapper mapper, AccountFilter accounts) {
        this.dataSource = dataSource;
        this.accounts = accounts;
        this.mapper = mapper;
        this.answers = new ApiAnswers(mapper);
    }

    /**
     * GET /api/jobs?account=&status=&type=&targetId=&limit=&offset=: tracked jobs, most recently changed first,
     * each as the API gave it plus a "tracking" object (first seen, last change, retry decision).
     * {@code status} filters by status and {@code type} by job type (in the Devana API, {@code type}
     * is the status filter), {@code account} by account (AccountFilter). limit 1..100 (default 25), offset 0..1000, as the API: else 400.
     */
    public void list(Exchange exchange) {
        Message message = exchange.getMessage();
        Map<String, String> query = ListingQuery.parameters(message.getHeader(Exchange.HTTP_QUERY, String.class));
        String status = query.get("status");
        String type = query.get("type");
        String targetId = query.get("targetId");
        if (status != null && !JobStatus.isKnown(status)) {
            answers.refuse(message, "status must be one of PENDING, IN_PROGRESS, DONE, ERROR");
            return;
        }
        if (type != null && !Token.isValid(type, 64)) {
            answers.refuse(message, "type must be a job type such as EXTRACTION or EMBEDDING");
            return;
        }
        ListingQuery window;
        String account;
        try {
            window = ListingQuery.of(query);
            account = accounts.of(query);
        } catch (ListingQuery.Refused | AccountFilter.Refused e) {
            answers.refuse(message, e.getMessage());
            return;
        }

        // A job whose JSON is over MAX_JOB_CHARS_SHOWN is not even read: its columns stand for it. The
        // others are shortened (long strings and arrays cut). An answer is at most 100 x that size.
        StringBuilder sql = new StringBuilder("SELECT CASE WHEN CHAR_LENGTH(s.job_json) <= ? THEN s.job_json END AS job_json, "
                + "CHAR_LENGTH(s.job_json) AS json_chars, s.account, s.job_id, s.target_id, s.job_type, s.status, s.progress, "
                + "s.created_at, s.updated_at, s.first_seen_at, s.changed_at, r.outcome, r.attempt, "
                + "r.http_status, r.decided_at, r.last_error FROM job_state s "
                + "LEFT JOIN job_retries r ON r.account = s.account AND r.failed_job_id = s.job_id WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        params.add(MAX_JOB_CHARS_SHOWN);
        if (account != null) {
            sql.append(" AND s.account = ?");
            params.add(account);
        }
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
                tracking.put("account", rs.getString("account"));
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
            answers.reply(message, 200, answer);
        } catch (SQLException e) {
            answers.unavailable(message, e);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored job is not JSON", e);
        }
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

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
