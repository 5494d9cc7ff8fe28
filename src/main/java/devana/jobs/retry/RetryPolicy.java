package devana.jobs.retry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.DevanaId;
import devana.jobs.contract.JobType;
import devana.jobs.client.JobsPage;
import devana.jobs.client.MalformedPageException;
import devana.jobs.contract.MetricTags;
import devana.jobs.text.OneLine;
import devana.jobs.events.CloudEvents;
import devana.jobs.events.EventOutbox;
import devana.jobs.state.InvalidJobException;
import devana.jobs.state.JobSnapshot;
import devana.jobs.state.RecentlySeen;
import devana.jobs.state.StoredForm;
import devana.jobs.state.Transactions;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what to do with a failed job, exactly once per failed job id: the decision is claimed as a
 * unique row in job_retries before anything is sent, so neither a restart nor a second instance
 * repeats it. A POST that did not go through stays FAILED and is sent again on a later cycle until
 * the API accepts it (then REQUESTED). The claim pins the type and target the decision was made for
 * ({@link RetryClaim}); every request of the retry is built from it.
 * <p>
 * Where the database may not know of an earlier POST, the API is asked first ({@link #verify}): a
 * claim with no answer recorded (the app died mid-POST, or the POST timed out), and a first claim for
 * a failure older than this process (an earlier run may have sent its retry and died before its claim
 * reached the disk: H2 writes commits up to a second late). A newer job of the same type for the same
 * target means the retry was already made.
 */
public class RetryPolicy {

    /** Header the retry route branches on. */
    public static final String DECISION = "retryDecision";
    /** Header: true when the API must be asked whether the retry already exists before it is sent. */
    public static final String VERIFY = "retryVerify";
    /** Exchange property: the {@link RetryClaim} being sent. */
    public static final String CLAIM = "retryClaim";

    public enum Decision { REQUEST, REJECTED, UNSUPPORTED, EXHAUSTED, NONE }

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.retry");
    private static final TypeReference<Map<String, Object>> JOB = new TypeReference<>() { };
    private static final int SETTLED_CACHE = 50_000;

    private final Transactions tx;
    private final ObjectMapper mapper;
    private final CloudEvents events;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final int maxAttempts;
    private final Instant startedAt;
    /** Failed jobs whose decision is final, so that a job seen again in ERROR costs no query. */
    private final RecentlySeen<Boolean> settled = new RecentlySeen<>(SETTLED_CACHE);

    public RetryPolicy(Transactions tx, CloudEvents events, ObjectMapper mapper, MeterRegistry metrics, Clock clock,
                       int maxAttempts) {
        this.tx = tx;
        this.mapper = mapper;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.maxAttempts = maxAttempts;
        this.startedAt = clock.instant();
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /** Claims the decision for the failed job in the exchange property "job" and sets the retry headers. */
    public void decide(Exchange exchange) throws SQLException {
        JobSnapshot job = exchange.getProperty("job", JobSnapshot.class);
        Message message = exchange.getMessage();
        if (settled.contains(job.id())) {
            message.setHeader(DECISION, Decision.NONE.name());
            return;
        }
        Claim claim = tx.inTransaction(connection -> claim(connection, job));
        if (claim.decision != Decision.REQUEST && claim.decision != Decision.NONE) {
            count(claim.decision.name(), job.type());
        }
        if (claim.settled) {
            settled.put(job.id(), true);
        }
        message.setHeader(DECISION, claim.decision.name());
        message.setHeader("retryAttempt", claim.attempt);
        message.setHeader("retryMaxAttempts", maxAttempts);
        if (claim.decision == Decision.REQUEST) {
            // A failure from before this process started may have been retried by an earlier run whose
            // claim was lost in a crash: the retry job, if any, was created after the failure.
            Instant failedAt = job.updatedAt() != null ? job.updatedAt() : job.createdAt();
            boolean olderThanThisRun = failedAt != null && failedAt.isBefore(startedAt);
            pin(exchange, new RetryClaim(job.id(), job.type(), job.targetId(), claim.attempt, olderThanThisRun,
                    olderThanThisRun ? failedAt : null));
        }
    }

    /**
     * The FAILED claims due to be sent again (next_try_at passed) whose job the API still shows, oldest
     * claim first: each as {failedJobId, jobType, targetId (as claimed), job (the JSON last seen)}.
     */
    public List<Map<String, Object>> dueRetries() throws SQLException {
        Instant now = clock.instant();
        return tx.inTransaction(connection -> {
            List<Map<String, Object>> due = new ArrayList<>();
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT r.failed_job_id, r.job_type, r.target_id, s.job_json FROM job_retries r "
                            + "JOIN job_state s ON s.job_id = r.failed_job_id "
                            + "WHERE r.outcome = 'FAILED' AND r.next_try_at <= ? AND s.gone_at IS NULL "
                            + "AND (s.created_at IS NULL OR s.created_at > ?) ORDER BY r.decided_at FETCH FIRST 50 ROWS ONLY",
                    now, now.minus(Duration.ofHours(24)));
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("failedJobId", rs.getString("failed_job_id"));
                    row.put("jobType", rs.getString("job_type"));
                    row.put("targetId", rs.getString("target_id"));
                    row.put("job", mapper.readValue(rs.getString("job_json"), JOB));
                    due.add(row);
                }
            } catch (JsonProcessingException e) {
                throw new SQLException("stored job JSON is unreadable", e);
            }
            return due;
        });
    }

    /**
     * Claims the next try of a FAILED retry (a row of {@link #dueRetries} in the body): REQUEST if this
     * instance won it, for the type and target of the claim. A claim whose target is no Devana id (written
     * before that check existed) is REJECTED, said once and never sent.
     */
    public void resume(Exchange exchange) throws SQLException {
        Map<?, ?> row = exchange.getMessage().getBody(Map.class);
        String failedJobId = (String) row.get("failedJobId");
        String jobType = (String) row.get("jobType");
        String targetId = (String) row.get("targetId");
        JobSnapshot job;
        try {
            job = JobSnapshot.of(row.get("job")).pinnedTo(targetId, jobType);
        } catch (InvalidJobException e) {
            job = JobSnapshot.minimal(failedJobId, jobType, targetId);
        }
        exchange.setProperty("job", job);
        Message message = exchange.getMessage();
        message.setHeader("jobId", failedJobId);
        message.setHeader("jobType", jobType);
        message.setHeader("targetId", targetId);
        message.setHeader("targetLabel", job.targetLabel());
        message.setHeader("retryMaxAttempts", maxAttempts);
        if (!DevanaId.isValid(targetId) || !JobType.hasRetryCall(jobType)) {
            reject(exchange, job);
            return;
        }
        Object[] claim = tx.inTransaction(connection -> {
            Instant now = clock.instant();
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT attempt, tries, http_status, decided_at FROM job_retries "
                            + "WHERE failed_job_id = ? AND outcome = 'FAILED' AND next_try_at <= ?",
                    failedJobId, now);
                 ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                int tries = rs.getInt("tries");
                rs.getInt("http_status");
                boolean noAnswer = rs.wasNull();
                int won = Transactions.update(connection,
                        "UPDATE job_retries SET tries = ?, next_try_at = ? WHERE failed_job_id = ? AND tries = ?",
                        tries + 1, now.plus(backoff(tries + 1)), failedJobId, tries);
                return won == 1 ? new Object[] {rs.getInt("attempt"), noAnswer, Transactions.instant(rs, "decided_at")} : null;
            }
        });
        if (claim == null) {
            message.setHeader(DECISION, Decision.NONE.name());
            message.setHeader(VERIFY, false);
            return;
        }
        // No answer recorded (a crash mid-POST, a timeout): the API may have taken it; look before sending again.
        // Our clock and the API's may differ a little: a job created up to 2 s before the claim counts.
        Instant decidedAt = (Instant) claim[2];
        pin(exchange, new RetryClaim(failedJobId, jobType, targetId, (Integer) claim[0], (Boolean) claim[1],
                decidedAt == null ? null : decidedAt.minusSeconds(2)));
        message.setHeader(DECISION, Decision.REQUEST.name());
    }

    /** Makes the exchange the look-up of the claim's target (the step right before the route sends it). */
    public void prepareLookUp(Exchange exchange) {
        claimOf(exchange).lookUp().prepare(exchange);
    }

    /** The look-up failed (answer or connection): nothing is sent now; the claim is looked up again later. */
    public void lookUpFailed(Exchange exchange) {
        headers(exchange.getMessage(), claimOf(exchange));
        exchange.getMessage().setHeader(DECISION, Decision.NONE.name());
    }

    /** Makes the exchange the claim's retry POST (the step right before the route sends it). */
    public void preparePost(Exchange exchange) {
        claimOf(exchange).post().prepare(exchange);
    }

    /**
     * Reads the answer of GET /v1/jobs?targetId= (the body): if a job of the claim's type for its target was
     * created since the claim (or, for a first claim, since the failure), a retry already went through
     * although this database has no answer for it; the claim becomes REQUESTED and nothing is sent
     * (retryDecision NONE).
     */
    public void verify(Exchange exchange) throws SQLException {
        RetryClaim claim = claimOf(exchange);
        JobSnapshot job = exchange.getProperty("job", JobSnapshot.class);
        List<?> jobs;
        try {
            jobs = JobsPage.read(mapper, exchange.getMessage().getBody(String.class), claim.lookUp().toString());
        } catch (MalformedPageException e) {
            jobs = List.of(); // no evidence of an accepted retry
        }
        Instant after = claim.newerThan() == null ? Instant.MAX : claim.newerThan();
        String found = null;
        for (Object candidate : jobs) {
            if (candidate instanceof Map<?, ?> other && claim.jobType().equals(other.get("type"))
                    && claim.targetId().equals(other.get("targetId")) && other.get("id") instanceof String id
                    && DevanaId.isValid(id) && !claim.failedJobId().equals(id)
                    && other.get("createdAt") instanceof String created) {
                try {
                    if (!Instant.parse(created).isBefore(after)) {
                        found = id;
                    }
                } catch (DateTimeParseException ignored) {
                    // not a usable date: not evidence of an accepted retry
                }
            }
        }
        headers(exchange.getMessage(), claim);
        if (found == null) {
            return;
        }
        String newJob = found;
        tx.inTransaction(connection -> {
            Instant now = clock.instant();
            int updated = Transactions.update(connection,
                    "UPDATE job_retries SET outcome = 'REQUESTED', decided_at = ?, last_error = ? "
                            + "WHERE failed_job_id = ? AND outcome = 'FAILED'",
                    now, "not sent again: the API already shows the newer job " + newJob, claim.failedJobId());
            if (updated == 1) {
                EventOutbox.append(connection, events.retryDecided(job, "REQUESTED", claim.attempt(), now), now);
            }
            return updated;
        });
        settled.put(claim.failedJobId(), true);
        count("REQUESTED", claim.jobType());
        exchange.getMessage().setHeader(DECISION, Decision.NONE.name());
        exchange.getMessage().setHeader("retryFoundJob", newJob);
    }

    /**
     * The retry budget was spent or the API is paused: the claim stays FAILED and nothing was sent. The
     * try is given back (it neither counts nor lengthens the backoff) and the claim is due again at
     * once, so resume() takes it on the next cycle that finds budget.
     */
    public void postponed(Exchange exchange) throws SQLException {
        RetryClaim claim = claimOf(exchange);
        tx.inTransaction(connection -> Transactions.update(connection,
                "UPDATE job_retries SET tries = CASE WHEN tries > 0 THEN tries - 1 ELSE 0 END, next_try_at = ?, last_error = ? "
                        + "WHERE failed_job_id = ? AND outcome = 'FAILED'",
                clock.instant(), "not sent yet: retry budget spent or API paused", claim.failedJobId()));
        headers(exchange.getMessage(), claim);
    }

    /** The API accepted the retry POST: the claim becomes REQUESTED with the HTTP status. */
    public void accepted(Exchange exchange) throws SQLException {
        RetryClaim claim = claimOf(exchange);
        JobSnapshot job = exchange.getProperty("job", JobSnapshot.class);
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        tx.inTransaction(connection -> {
            Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            int updated = Transactions.update(connection,
                    "UPDATE job_retries SET outcome = 'REQUESTED', http_status = ?, decided_at = ?, last_error = NULL "
                            + "WHERE failed_job_id = ? AND outcome = 'FAILED'",
                    status, now, claim.failedJobId());
            if (updated == 1) {
                EventOutbox.append(connection, events.retryDecided(job, "REQUESTED", claim.attempt(), now), now);
            }
            return updated;
        });
        settled.put(claim.failedJobId(), true);
        count("REQUESTED", claim.jobType());
        headers(exchange.getMessage(), claim);
    }

    /**
     * The retry POST failed (429, 5xx, timeout, connection refused): stays FAILED, tried again next cycle.
     * camel-http answers a failed call with a new message, so the claim's headers are set again for the log.
     */
    public void failed(Exchange exchange) throws SQLException {
        RetryClaim claim = claimOf(exchange);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Integer status = cause instanceof HttpOperationFailedException http ? http.getStatusCode() : null;
        String reason = OneLine.of(cause);
        headers(exchange.getMessage(), claim);
        exchange.getMessage().setHeader("retryFailure", reason);
        tx.inTransaction(connection -> Transactions.update(connection,
                "UPDATE job_retries SET http_status = ?, last_error = ? WHERE failed_job_id = ? AND outcome = 'FAILED'",
                status, reason, claim.failedJobId()));
        count("FAILED", claim.jobType());
    }

    private void reject(Exchange exchange, JobSnapshot job) throws SQLException {
        int updated = tx.inTransaction(connection -> {
            Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            int rows = Transactions.update(connection,
                    "UPDATE job_retries SET outcome = 'REJECTED', next_try_at = NULL, decided_at = ?, "
                            + "last_error = 'the claimed target is not a Devana id: never sent' "
                            + "WHERE failed_job_id = ? AND outcome = 'FAILED'", now, job.id());
            if (rows == 1) {
                EventOutbox.append(connection, events.retryDecided(job, "REJECTED", null, now), now);
            }
            return rows;
        });
        exchange.getMessage().setHeader(DECISION, Decision.NONE.name());
        exchange.getMessage().setHeader(VERIFY, false);
        if (updated == 1) {
            settled.put(job.id(), true);
            count("REJECTED", job.type());
            LOG.warn("retry rejected: job {} {}: the claimed target {} is not a Devana id; nothing sent",
                    job.id(), OneLine.printable(job.type(), 64), job.targetLabel());
        }
    }

    private void pin(Exchange exchange, RetryClaim claim) {
        exchange.setProperty(CLAIM, claim);
        headers(exchange.getMessage(), claim);
    }

    /** The headers the retry routes log and branch on, from the claim (they outlive a failed HTTP call). */
    private void headers(Message message, RetryClaim claim) {
        message.setHeader("jobId", claim.failedJobId());
        message.setHeader("jobType", claim.jobType());
        message.setHeader("targetLabel", JobSnapshot.label(claim.targetId()));
        message.setHeader("retryAttempt", claim.attempt());
        message.setHeader("retryMaxAttempts", maxAttempts);
        message.setHeader(VERIFY, claim.verify());
    }

    private static RetryClaim claimOf(Exchange exchange) {
        RetryClaim claim = exchange.getProperty(CLAIM, RetryClaim.class);
        if (claim == null) {
            throw new IllegalStateException("no retry claim on this exchange");
        }
        return claim;
    }

    private void count(String outcome, String type) {
        metrics.counter("devana.retries", "outcome", outcome, "type", MetricTags.jobType(type)).increment();
    }

    private Claim claim(Connection connection, JobSnapshot job) throws SQLException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT outcome FROM job_retries WHERE failed_job_id = ?", job.id());
             ResultSet rs = select.executeQuery()) {
            if (rs.next()) {
                // decided before; a FAILED claim is sent again by resume(), on its own schedule
                return new Claim(Decision.NONE, null, !"FAILED".equals(rs.getString("outcome")));
            }
        }
        Decision decision;
        Integer attempt = null;
        if (!job.safeTarget()) {
            decision = Decision.REJECTED;
        } else if (!JobType.hasRetryCall(job.type())) {
            decision = Decision.UNSUPPORTED;
        } else {
            int used = usedAttempts(connection, job);
            if (used >= maxAttempts) {
                decision = Decision.EXHAUSTED;
            } else {
                decision = Decision.REQUEST;
                attempt = used + 1;
            }
        }
        String outcome = decision == Decision.REQUEST ? "FAILED" : decision.name();
        String storedTarget = job.storedTargetId();
        boolean claimed = Transactions.insertIfAbsent(connection,
                "INSERT INTO job_retries (failed_job_id, target_id, target_key, job_type, attempt, outcome, http_status, decided_at, tries, next_try_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                job.id(), storedTarget, targetKey(job.targetId()), job.type(), attempt, outcome, now,
                decision == Decision.REQUEST ? 1 : 0, decision == Decision.REQUEST ? now.plus(backoff(1)) : null);
        if (!claimed) {
            // Another instance decided this job, or took this attempt number for the target (V4): the
            // job is still in ERROR, so the next cycle decides it again, counting that instance's try.
            return new Claim(Decision.NONE, null, false);
        }
        if (decision != Decision.REQUEST) {
            EventOutbox.append(connection, events.retryDecided(job, decision.name(), null, now), now);
        }
        return new Claim(decision, attempt, decision != Decision.REQUEST);
    }

    /** How long a FAILED retry POST waits before it is sent again: 2 s, 4 s, 8 s ... at most 5 min. */
    static Duration backoff(int tries) {
        long seconds = Math.min(300, 1L << Math.min(tries, 9));
        return Duration.ofSeconds(seconds);
    }

    /** What the database keys a target by (job_retries.target_key): SHA-256 of its id, in hex; null without one. */
    public static String targetKey(String targetId) {
        return targetId == null ? null : StoredForm.sha256(targetId);
    }

    private static int usedAttempts(Connection connection, JobSnapshot job) throws SQLException {
        try (PreparedStatement count = Transactions.query(connection,
                "SELECT COUNT(*) FROM job_retries WHERE job_type = ? AND target_id = ? AND outcome IN ('REQUESTED', 'FAILED')",
                job.type(), job.targetId());
             ResultSet rs = count.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private record Claim(Decision decision, Integer attempt, boolean settled) {
    }
}
