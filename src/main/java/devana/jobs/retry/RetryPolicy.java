package devana.jobs.retry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.api.JobsPage;
import devana.jobs.api.MalformedPageException;
import devana.jobs.events.CloudEvents;
import devana.jobs.events.EventOutbox;
import devana.jobs.state.JobSnapshot;
import devana.jobs.state.Transactions;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * Decides what to do with a failed job, exactly once per failed job id: the decision is claimed as a
 * unique row in job_retries before anything is sent, so neither a restart nor a second instance
 * repeats it. A POST that did not go through stays FAILED and is sent again on a later cycle until
 * the API accepts it (then REQUESTED).
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
    /** Exchange property: a job of the failed job's type and target created at or after this instant is its retry. */
    private static final String NEWER_THAN = "retryNewerThan";

    public enum Decision { REQUEST, REJECTED, UNSUPPORTED, EXHAUSTED, NONE }

    private static final TypeReference<Map<String, Object>> JOB = new TypeReference<>() { };

    private final Transactions tx;
    private final ObjectMapper mapper;
    private final CloudEvents events;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final int maxAttempts;
    private final Instant startedAt;
    private final Set<String> settled = ConcurrentHashMap.newKeySet();

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
            metrics.counter("devana.retries", "outcome", claim.decision.name(), "type", job.type()).increment();
        }
        if (claim.settled) {
            settled.add(job.id());
        }
        message.setHeader(DECISION, claim.decision.name());
        message.setHeader("retryAttempt", claim.attempt);
        message.setHeader("retryMaxAttempts", maxAttempts);
        if (claim.decision == Decision.REQUEST) {
            message.setHeader("retryPath", retryPath(job));
            // A failure from before this process started may have been retried by an earlier run whose
            // claim was lost in a crash: the retry job, if any, was created after the failure.
            Instant failedAt = job.updatedAt() != null ? job.updatedAt() : job.createdAt();
            boolean olderThanThisRun = failedAt != null && failedAt.isBefore(startedAt);
            message.setHeader(VERIFY, olderThanThisRun);
            exchange.setProperty(NEWER_THAN, olderThanThisRun ? failedAt : null);
        }
    }

    /**
     * The FAILED claims due to be sent again (next_try_at passed) whose job the API still shows, as
     * the jobs they retry (the JSON the API gave), oldest claim first.
     */
    public List<Map<String, Object>> dueRetries() throws SQLException {
        Instant now = clock.instant();
        return tx.inTransaction(connection -> {
            List<Map<String, Object>> due = new ArrayList<>();
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT s.job_json FROM job_retries r JOIN job_state s ON s.job_id = r.failed_job_id "
                            + "WHERE r.outcome = 'FAILED' AND r.next_try_at <= ? AND s.gone_at IS NULL "
                            + "AND (s.created_at IS NULL OR s.created_at > ?) ORDER BY r.decided_at FETCH FIRST 50 ROWS ONLY",
                    now, now.minus(Duration.ofHours(24)));
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    due.add(mapper.readValue(rs.getString(1), JOB));
                }
            } catch (JsonProcessingException e) {
                throw new SQLException("stored job JSON is unreadable", e);
            }
            return due;
        });
    }

    /** Claims the next try of a FAILED retry (the job in the body): REQUEST if this instance won it. */
    public void resume(Exchange exchange) throws SQLException {
        JobSnapshot job = JobSnapshot.of(exchange.getMessage().getBody());
        exchange.setProperty("job", job);
        Message message = exchange.getMessage();
        message.setHeader("jobId", job.id());
        message.setHeader("jobType", job.type());
        message.setHeader("targetId", job.targetId());
        message.setHeader("targetLabel", job.targetLabel());
        Object[] claim = tx.inTransaction(connection -> {
            Instant now = clock.instant();
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT attempt, tries, http_status, decided_at FROM job_retries "
                            + "WHERE failed_job_id = ? AND outcome = 'FAILED' AND next_try_at <= ?",
                    job.id(), now);
                 ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                int tries = rs.getInt("tries");
                rs.getInt("http_status");
                boolean noAnswer = rs.wasNull();
                int won = Transactions.update(connection,
                        "UPDATE job_retries SET tries = ?, next_try_at = ? WHERE failed_job_id = ? AND tries = ?",
                        tries + 1, now.plus(backoff(tries + 1)), job.id(), tries);
                return won == 1 ? new Object[] {rs.getInt("attempt"), noAnswer, Transactions.instant(rs, "decided_at")} : null;
            }
        });
        message.setHeader(DECISION, claim == null ? Decision.NONE.name() : Decision.REQUEST.name());
        message.setHeader("retryAttempt", claim == null ? null : claim[0]);
        // No answer recorded (a crash mid-POST, a timeout): the API may have taken it; look before sending again.
        // Our clock and the API's may differ a little: a job created up to 2 s before the claim counts.
        message.setHeader(VERIFY, claim != null && (Boolean) claim[1]);
        exchange.setProperty(NEWER_THAN, claim == null || claim[2] == null ? null : ((Instant) claim[2]).minusSeconds(2));
        message.setHeader("retryMaxAttempts", maxAttempts);
        message.setHeader("retryPath", retryPath(job));
    }

    /**
     * Reads the answer of GET /v1/jobs?targetId= (the body): if a job of the same type for the same
     * target was created since the claim (or, for a first claim, since the failure), a retry already
     * went through although this database has no answer for it; the claim becomes REQUESTED and
     * nothing is sent (retryDecision NONE).
     */
    public void verify(Exchange exchange) throws SQLException {
        JobSnapshot job = exchange.getProperty("job", JobSnapshot.class);
        Instant newerThan = exchange.getProperty(NEWER_THAN, Instant.class);
        List<?> jobs;
        try {
            jobs = JobsPage.read(mapper, exchange.getMessage().getBody(String.class), "GET /v1/jobs?targetId=");
        } catch (MalformedPageException e) {
            jobs = List.of(); // no evidence of an accepted retry
        }
        Instant after = newerThan == null ? Instant.MAX : newerThan;
        String found = null;
        for (Object candidate : jobs) {
            if (candidate instanceof Map<?, ?> other && job.type().equals(other.get("type"))
                    && !job.id().equals(other.get("id")) && other.get("createdAt") instanceof String created) {
                try {
                    if (!Instant.parse(created).isBefore(after)) {
                        found = String.valueOf(other.get("id"));
                    }
                } catch (java.time.format.DateTimeParseException ignored) {
                    // not a usable date: not evidence of an accepted retry
                }
            }
        }
        if (found == null) {
            return;
        }
        String newJob = found;
        Integer attempt = exchange.getMessage().getHeader("retryAttempt", Integer.class);
        tx.inTransaction(connection -> {
            Instant now = clock.instant();
            int updated = Transactions.update(connection,
                    "UPDATE job_retries SET outcome = 'REQUESTED', decided_at = ?, last_error = ? "
                            + "WHERE failed_job_id = ? AND outcome = 'FAILED'",
                    now, "not sent again: the API already shows the newer job " + newJob, job.id());
            if (updated == 1) {
                EventOutbox.append(connection, events.retryDecided(job, "REQUESTED", attempt, now), now);
            }
            return updated;
        });
        settled.add(job.id());
        metrics.counter("devana.retries", "outcome", "REQUESTED", "type", job.type()).increment();
        exchange.getMessage().setHeader(DECISION, Decision.NONE.name());
        exchange.getMessage().setHeader("retryFoundJob", newJob);
    }

    /**
     * The retry budget was spent or the API is paused: the claim stays FAILED and nothing was sent. The
     * try is given back (it neither counts nor lengthens the backoff) and the claim is due again at
     * once, so resume() takes it on the next cycle that finds budget.
     */
    public void postponed(Exchange exchange) throws SQLException {
        JobSnapshot job = exchange.getProperty("job", JobSnapshot.class);
        tx.inTransaction(connection -> Transactions.update(connection,
                "UPDATE job_retries SET tries = CASE WHEN tries > 0 THEN tries - 1 ELSE 0 END, next_try_at = ?, last_error = ? "
                        + "WHERE failed_job_id = ? AND outcome = 'FAILED'",
                clock.instant(), "not sent yet: retry budget spent or API paused", job.id()));
    }

    /** The API accepted the retry POST: the claim becomes REQUESTED with the HTTP status. */
    public void accepted(Exchange exchange) throws SQLException {
        JobSnapshot job = exchange.getProperty("job", JobSnapshot.class);
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        Integer attempt = exchange.getMessage().getHeader("retryAttempt", Integer.class);
        tx.inTransaction(connection -> {
            Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            int updated = Transactions.update(connection,
                    "UPDATE job_retries SET outcome = 'REQUESTED', http_status = ?, decided_at = ?, last_error = NULL "
                            + "WHERE failed_job_id = ? AND outcome = 'FAILED'",
                    status, now, job.id());
            if (updated == 1) {
                EventOutbox.append(connection, events.retryDecided(job, "REQUESTED", attempt, now), now);
            }
            return updated;
        });
        settled.add(job.id());
        metrics.counter("devana.retries", "outcome", "REQUESTED", "type", job.type()).increment();
    }

    /** The retry POST failed (429, 5xx, timeout, connection refused): stays FAILED, tried again next cycle. */
    public void failed(Exchange exchange) throws SQLException {
        JobSnapshot job = exchange.getProperty("job", JobSnapshot.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Integer status = cause instanceof HttpOperationFailedException http ? http.getStatusCode() : null;
        String reason = describe(cause);
        exchange.getMessage().setHeader("retryFailure", reason);
        tx.inTransaction(connection -> Transactions.update(connection,
                "UPDATE job_retries SET http_status = ?, last_error = ? WHERE failed_job_id = ? AND outcome = 'FAILED'",
                status, reason, job.id()));
        metrics.counter("devana.retries", "outcome", "FAILED", "type", job.type()).increment();
    }

    /** One line that says why a call failed, without the response body (it may be a whole HTML page). */
    public static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown failure";
        }
        if (cause instanceof HttpOperationFailedException http) {
            return "HTTP " + http.getStatusCode();
        }
        if (cause instanceof SocketTimeoutException) {
            return "timed out";
        }
        String message = cause.getMessage();
        String text = cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    private Claim claim(Connection connection, JobSnapshot job) throws SQLException {
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
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
        } else if (!"EXTRACTION".equals(job.type()) && !"EMBEDDING".equals(job.type())) {
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
        boolean claimed = Transactions.insertIfAbsent(connection,
                "INSERT INTO job_retries (failed_job_id, target_id, target_key, job_type, attempt, outcome, http_status, decided_at, tries, next_try_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                job.id(), job.targetId(), targetKey(job.targetId()), job.type(), attempt, outcome, now,
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
        if (targetId == null) {
            return null;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(targetId.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
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

    private static String retryPath(JobSnapshot job) {
        return "EXTRACTION".equals(job.type())
                ? "/v1/documents/" + job.targetId() + "/reextract"
                : "/v1/folders/" + job.targetId() + "/reindex";
    }

    private record Claim(Decision decision, Integer attempt, boolean settled) {
    }
}
