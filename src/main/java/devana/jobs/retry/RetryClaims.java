package devana.jobs.retry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.events.CloudEvents;
import devana.jobs.events.EventOutbox;
import devana.jobs.retry.RetryRules.Decision;
import devana.jobs.state.JobSnapshot;
import devana.jobs.state.StoredForm;
import devana.jobs.state.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The retry claims in job_retries, one row per failed job id, and the retry events that go with them
 * (in the same transaction). The unique row is what keeps a restart or a second instance from deciding
 * a failed job twice; {@link RetryRules} says what the decision is.
 */
public final class RetryClaims {

    private static final TypeReference<Map<String, Object>> JOB = new TypeReference<>() { };

    private final Transactions tx;
    private final CloudEvents events;
    private final ObjectMapper mapper;
    private final Clock clock;
    private final RetryRules rules;

    RetryClaims(Transactions tx, CloudEvents events, ObjectMapper mapper, Clock clock, RetryRules rules) {
        this.tx = tx;
        this.events = events;
        this.mapper = mapper;
        this.clock = clock;
        this.rules = rules;
    }

    /** The decision claimed for a failed job: NONE when it was decided before (or by another instance). */
    record Claimed(Decision decision, Integer attempt, boolean settled) {
    }

    /** A FAILED claim due to be sent again, with the job as last seen. */
    public record DueRetry(String failedJobId, String jobType, String targetId, Map<String, Object> job) {
    }

    /** The next try of a FAILED claim, won by this instance: whether its last try got no answer, and when it was decided. */
    record Resumed(int attempt, boolean noAnswer, Instant decidedAt, String traceparent) {
    }

    /** @param traceparent the trace of the job change the failure was seen in, kept with the claim (JobTraces), or null */
    Claimed claim(String account, JobSnapshot job, String traceparent) throws SQLException {
        return tx.inTransaction(connection -> {
            Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT outcome FROM job_retries WHERE account = ? AND failed_job_id = ?", account, job.id());
                 ResultSet rs = select.executeQuery()) {
                if (rs.next()) {
                    // decided before; a FAILED claim is sent again by resume(), on its own schedule
                    return new Claimed(Decision.NONE, null, !"FAILED".equals(rs.getString("outcome")));
                }
            }
            Decision decision = rules.decide(job, 0);
            Integer attempt = null;
            if (decision == Decision.REQUEST) {
                int used = usedAttempts(connection, account, job);
                decision = rules.decide(job, used);
                attempt = decision == Decision.REQUEST ? used + 1 : null;
            }
            boolean request = decision == Decision.REQUEST;
            boolean claimed = Transactions.insertIfAbsent(connection,
                    "INSERT INTO job_retries (account, failed_job_id, target_id, target_key, job_type, attempt, outcome, http_status, "
                            + "decided_at, tries, next_try_at, traceparent) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                    account, job.id(), job.storedTargetId(), targetKey(job.targetId()), job.type(), attempt,
                    request ? "FAILED" : decision.name(), now, request ? 1 : 0,
                    request ? now.plus(RetryRules.resendAfter(1)) : null, traceparent);
            if (!claimed) {
                // Another instance decided this job, or took this attempt number for the target (V4): the
                // job is still in ERROR, so the next cycle decides it again, counting that instance's try.
                return new Claimed(Decision.NONE, null, false);
            }
            if (!request) {
                EventOutbox.append(connection, CloudEvents.Event.traced(events.retryDecided(account, job, decision.name(), null, now),
                        traceparent), now);
            }
            return new Claimed(decision, attempt, !request);
        });
    }

    /**
     * The query of {@link #due}, run every cycle of every account: account, now, 24 h ago. It reads the index
     * {@code job_retries_due} (V8): claims are kept for good.
     */
    public static final String DUE = "SELECT r.failed_job_id, r.job_type, r.target_id, s.job_json FROM job_retries r "
            + "JOIN job_state s ON s.account = r.account AND s.job_id = r.failed_job_id "
            + "WHERE r.account = ? AND r.outcome = 'FAILED' AND r.next_try_at <= ? AND s.gone_at IS NULL "
            + "AND (s.created_at IS NULL OR s.created_at > ?) ORDER BY r.decided_at FETCH FIRST 50 ROWS ONLY";

    /** The account's FAILED claims whose next try is due and whose job the API still shows, oldest claim first (50 at most). */
    List<DueRetry> due(String account) throws SQLException {
        Instant now = clock.instant();
        return tx.inTransaction(connection -> {
            List<DueRetry> due = new ArrayList<>();
            try (PreparedStatement select = Transactions.query(connection, DUE, account, now, now.minus(Duration.ofHours(24)));
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    due.add(new DueRetry(rs.getString("failed_job_id"), rs.getString("job_type"),
                            rs.getString("target_id"), mapper.readValue(rs.getString("job_json"), JOB)));
                }
            } catch (JsonProcessingException e) {
                throw new SQLException("stored job JSON is unreadable", e);
            }
            return due;
        });
    }

    /**
     * The FAILED claim of this failed job if its next try is due, with the type and target it was claimed for (the job
     * given is the caller's sighting); null otherwise. For a caller with no resend timer (the retry-action Kamelet), whose
     * resends come from the same failure seen again.
     */
    DueRetry dueClaim(String account, String failedJobId, Map<String, Object> job) throws SQLException {
        return tx.inTransaction(connection -> {
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT job_type, target_id FROM job_retries WHERE account = ? AND failed_job_id = ? AND outcome = 'FAILED' "
                            + "AND next_try_at <= ?", account, failedJobId, clock.instant());
                 ResultSet rs = select.executeQuery()) {
                return rs.next() ? new DueRetry(failedJobId, rs.getString("job_type"), rs.getString("target_id"), job) : null;
            }
        });
    }

    /** A failed job's claim as it stands: its outcome (REQUESTED, EXHAUSTED, REJECTED, UNSUPPORTED, FAILED) and attempt. */
    public record Standing(String outcome, Integer attempt) {
    }

    Standing standing(String account, String failedJobId) throws SQLException {
        return tx.inTransaction(connection -> {
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT outcome, attempt FROM job_retries WHERE account = ? AND failed_job_id = ?", account, failedJobId);
                 ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                int attempt = rs.getInt("attempt");
                return new Standing(rs.getString("outcome"), rs.wasNull() ? null : attempt);
            }
        });
    }

    /** Takes the next try of a FAILED claim whose time has come; null when it is not due or another instance took it. */
    Resumed resume(String account, String failedJobId) throws SQLException {
        return tx.inTransaction(connection -> {
            Instant now = clock.instant();
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT attempt, tries, http_status, decided_at, traceparent FROM job_retries "
                            + "WHERE account = ? AND failed_job_id = ? AND outcome = 'FAILED' AND next_try_at <= ?",
                    account, failedJobId, now);
                 ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                int tries = rs.getInt("tries");
                rs.getInt("http_status");
                boolean noAnswer = rs.wasNull();
                int won = Transactions.update(connection,
                        "UPDATE job_retries SET tries = ?, next_try_at = ? WHERE account = ? AND failed_job_id = ? AND tries = ?",
                        tries + 1, now.plus(RetryRules.resendAfter(tries + 1)), account, failedJobId, tries);
                return won == 1 ? new Resumed(rs.getInt("attempt"), noAnswer, Transactions.instant(rs, "decided_at"),
                        rs.getString("traceparent")) : null;
            }
        });
    }

    /** The claim's retry went through (its POST was accepted, or the API shows it made): REQUESTED, with its event. */
    void requested(String account, RetryClaim claim, JobSnapshot job, Integer httpStatus, String note) throws SQLException {
        tx.inTransaction(connection -> {
            Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            int updated = Transactions.update(connection,
                    "UPDATE job_retries SET outcome = 'REQUESTED', http_status = COALESCE(?, http_status), decided_at = ?, "
                            + "last_error = ? WHERE account = ? AND failed_job_id = ? AND outcome = 'FAILED'",
                    httpStatus, now, note, account, claim.failedJobId());
            if (updated == 1) {
                EventOutbox.append(connection, CloudEvents.Event.traced(events.retryDecided(account, job, "REQUESTED",
                        claim.attempt(), now), claim.traceparent()), now);
            }
            return updated;
        });
    }

    /** Nothing was sent (budget spent, API paused): the try is given back and the claim is due again at once. */
    void postpone(String account, String failedJobId) throws SQLException {
        tx.inTransaction(connection -> Transactions.update(connection,
                "UPDATE job_retries SET tries = CASE WHEN tries > 0 THEN tries - 1 ELSE 0 END, next_try_at = ?, last_error = ? "
                        + "WHERE account = ? AND failed_job_id = ? AND outcome = 'FAILED'",
                clock.instant(), "not sent yet: retry budget spent or API paused", account, failedJobId));
    }

    /** The POST failed: the claim stays FAILED with the answer's status (null without an answer) and the reason. */
    void failed(String account, String failedJobId, Integer httpStatus, String reason) throws SQLException {
        tx.inTransaction(connection -> Transactions.update(connection,
                "UPDATE job_retries SET http_status = ?, last_error = ? WHERE account = ? AND failed_job_id = ? AND outcome = 'FAILED'",
                httpStatus, reason, account, failedJobId));
    }

    /** A FAILED claim whose target is no Devana id (written before that check existed): REJECTED for good. */
    boolean reject(String account, JobSnapshot job) throws SQLException {
        return tx.inTransaction(connection -> {
            Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            int rows = Transactions.update(connection,
                    "UPDATE job_retries SET outcome = 'REJECTED', next_try_at = NULL, decided_at = ?, "
                            + "last_error = 'the claimed target is not a Devana id: never sent' "
                            + "WHERE account = ? AND failed_job_id = ? AND outcome = 'FAILED'", now, account, job.id());
            if (rows == 1) {
                EventOutbox.append(connection, events.retryDecided(account, job, "REJECTED", null, now), now);
            }
            return rows == 1;
        });
    }

    /** What the database keys a target by (job_retries.target_key): SHA-256 of its id, in hex; null without one. */
    public static String targetKey(String targetId) {
        return targetId == null ? null : StoredForm.sha256(targetId);
    }

    private static int usedAttempts(Connection connection, String account, JobSnapshot job) throws SQLException {
        // by target_key, the unique index's prefix (a scan of the table otherwise, on every failure); claims made
        // before target_key existed (V4) have none and are still counted by their target id
        try (PreparedStatement count = Transactions.query(connection,
                "SELECT (SELECT COUNT(*) FROM job_retries WHERE account = ? AND target_key = ? AND job_type = ? "
                        + "AND outcome IN ('REQUESTED', 'FAILED')) + (SELECT COUNT(*) FROM job_retries WHERE account = ? "
                        + "AND target_key IS NULL AND job_type = ? AND target_id = ? AND outcome IN ('REQUESTED', 'FAILED'))",
                account, targetKey(job.targetId()), job.type(), account, job.type(), job.targetId());
             ResultSet rs = count.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
