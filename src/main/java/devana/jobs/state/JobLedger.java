package devana.jobs.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.MetricTags;
import devana.jobs.events.CloudEvents;
import devana.jobs.events.EventOutbox;
import devana.jobs.routes.Headers;
import devana.jobs.state.ChangeRules.Change;
import devana.jobs.text.OneLine;
import devana.jobs.text.RepeatedFailures;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Change detection with its effects, in one transaction per observation: the job's last seen state,
 * the completion row of a DONE job and the CloudEvent announcing the change are committed together,
 * or not at all. Only then does the in-memory cache learn the new state, so a failure never marks as
 * seen what was not stored.
 */
public class JobLedger {

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.dispatch");
    private static final int CACHE_SIZE = 50_000;

    private final Transactions tx;
    private final CloudEvents events;
    private final ObjectMapper mapper;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final RepeatedFailures repeats;
    private final RecentlySeen<String> lastSeen = new RecentlySeen<>(CACHE_SIZE);
    private final AccountActivity activity = new AccountActivity();

    public JobLedger(Transactions tx, CloudEvents events, ObjectMapper mapper, MeterRegistry metrics, Clock clock,
                     RepeatedFailures repeats) {
        this.tx = tx;
        this.events = events;
        this.mapper = mapper;
        this.metrics = metrics;
        this.clock = clock;
        this.repeats = repeats;
    }

    /**
     * Reads the job in the body, records it, and sets the headers the dispatch route routes on:
     * jobId, jobType, jobStatus, targetId, jobChange (NEW, CHANGED, REFINED, UNCHANGED, STALE, REPLAY, or
     * INVALID with invalidReason for a job that cannot be read), previousStatus. The change is also kept
     * in the exchange property {@value #CHANGE}, which outlives a failed HTTP call further on.
     */
    public void observe(Exchange exchange) throws SQLException {
        Message message = exchange.getMessage();
        String account = Headers.account(exchange);
        Headers.labelAccount(exchange);
        JobSnapshot job;
        try {
            job = JobSnapshot.of(message.getBody());
        } catch (InvalidJobException e) {
            metrics.counter("devana.jobs.invalid", "account", account, "reason", "unreadable").increment();
            message.setHeader(Headers.JOB_CHANGE, "INVALID");
            message.setHeader(Headers.INVALID_REASON, e.getMessage());
            message.setHeader(Headers.INVALID_REPEATS, repeats.say("job-skipped|" + e.getMessage()));
            exchange.setProperty(Headers.JOB_CHANGE, "INVALID");
            return;
        }
        message.setHeader(Headers.JOB_ID, job.id());
        message.setHeader(Headers.JOB_TYPE, job.type());
        message.setHeader(Headers.JOB_TYPE_KNOWN, job.knownType());
        message.setHeader(Headers.JOB_STATUS, job.status());
        message.setHeader(Headers.TARGET_ID, job.targetId());
        message.setHeader(Headers.JOB_PROGRESS, job.progress());
        message.setHeader(Headers.TARGET_LABEL, job.targetLabel());
        message.setHeader(Headers.PROGRESS_LABEL, job.progress() == null ? "" : " (" + job.progress() + "%)");
        exchange.setProperty(Headers.JOB, job);
        Object source = message.getHeader(Headers.JOB_SOURCE);
        metrics.counter("devana.jobs.observed", "account", account, "type", MetricTags.jobType(job.type()),
                "status", MetricTags.status(job.status()), "source", source == null ? "poll" : "webhook").increment();
        if (job.absurdProgress()) {
            metrics.counter("devana.jobs.invalid", "account", account, "reason", "progress").increment();
        }
        String delivery = exchange.getProperty(Headers.WEBHOOK_DELIVERY, String.class);
        String cacheKey = account + "|" + job.id();
        if (delivery == null && job.fingerprint().equals(lastSeen.get(cacheKey))) {
            setChange(exchange, Change.UNCHANGED);
            return;
        }
        JobSnapshot observed = job;
        Observation observation;
        try {
            observation = tx.inTransaction(connection -> record(connection, account, observed, delivery));
        } catch (SQLException e) {
            if (unreachable(e)) {
                throw e; // the database is down: the cycle (or the push) fails as a whole, and says so once
            }
            // the database refused this job's rows (a constraint, a trigger, a value it cannot take): the job is
            // skipped, the others go on, and it is tried again on the next cycle
            metrics.counter("devana.jobs.invalid", "account", account, "reason", "not_recorded").increment();
            message.setHeader(Headers.JOB_CHANGE, "INVALID");
            message.setHeader(Headers.INVALID_REASON, "job " + job.id() + " could not be written ("
                    + OneLine.of(e) + "); tried again on the next cycle");
            message.setHeader(Headers.INVALID_REPEATS, repeats.say("job-not-recorded|" + e.getSQLState()));
            exchange.setProperty(Headers.JOB_CHANGE, "INVALID");
            return;
        }
        if (observation.stored != null) {
            exchange.setProperty(Headers.JOB, observation.stored);
        }
        if (job.updatedAt() == null && (observation.change == Change.NEW || observation.change == Change.CHANGED)) {
            // an untimed observation (a webhook push): the next poll goes to the database and fills the row in
            lastSeen.remove(cacheKey);
        } else if (observation.storedFingerprint != null) {
            lastSeen.put(cacheKey, observation.storedFingerprint);
        }
        setChange(exchange, observation.change);
        Instant now = clock.instant();
        if (delivery != null && observation.change != Change.REPLAY) {
            activity.pushed(account, now);
        }
        if (observation.change == Change.NEW || observation.change == Change.CHANGED || observation.change == Change.REFINED) {
            activity.changed(account, now);
        }
        message.setHeader(Headers.PREVIOUS_STATUS, observation.previousStatus == null ? "(new)" : observation.previousStatus);
        if (observation.change == Change.NEW || observation.change == Change.CHANGED) {
            metrics.counter("devana.jobs.transitions", "account", account, "type", MetricTags.jobType(job.type()),
                    "status", MetricTags.status(job.status())).increment();
        }
    }

    /** Whether a failed write says the database cannot be reached (rather than that it refused these rows). */
    static boolean unreachable(SQLException failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SQLTransientConnectionException || cause instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().equals("57P01") || sql.getSQLState().equals("90098")
                    || sql.getSQLState().equals("90121"))) {
                return true; // connection errors; PostgreSQL's admin shutdown; H2's database closed
            }
        }
        return failure.getSQLState() == null;
    }

    /**
     * The query of {@link #activeJobs}, run every cycle of every account (the account twice): one equality per status,
     * because H2 reads {@code status IN (...)} on the index's second column as "every row of the account".
     */
    public static final String ACTIVE_JOBS = "SELECT job_id, target_id, status, created_at FROM job_state "
            + "WHERE account = ? AND status = 'PENDING' AND gone_at IS NULL UNION ALL "
            + "SELECT job_id, target_id, status, created_at FROM job_state "
            + "WHERE account = ? AND status = 'IN_PROGRESS' AND gone_at IS NULL";

    /** The account's jobs last seen PENDING or IN_PROGRESS and still visible: what incremental polling keeps asking about. */
    public List<ActiveJob> activeJobs(String account) throws SQLException {
        return tx.inTransaction(connection -> {
            List<ActiveJob> active = new ArrayList<>();
            try (PreparedStatement select = Transactions.query(connection, ACTIVE_JOBS, account, account);
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    active.add(new ActiveJob(rs.getString("job_id"), rs.getString("target_id"), rs.getString("status"),
                            Transactions.instant(rs, "created_at")));
                }
            }
            return active;
        });
    }

    /** The API no longer shows the job (killed, or past its 24 h window): stop asking about it. */
    public void markGone(String account, String jobId) throws SQLException {
        tx.inTransaction(connection -> Transactions.update(connection,
                "UPDATE job_state SET gone_at = ? WHERE account = ? AND job_id = ? AND gone_at IS NULL", clock.instant(), account, jobId));
        lastSeen.remove(account + "|" + jobId);
    }

    /** A job believed active, as incremental polling needs it. */
    public record ActiveJob(String id, String targetId, String status, Instant createdAt) {
    }

    /** When each account last changed and was pushed to, as the observations recorded here say. */
    public AccountActivity activity() {
        return activity;
    }

    /** Forgets the cache, as after a restart (tests and the webhook path use the database as the truth). */
    public void forgetCache() {
        lastSeen.clear();
    }

    private Observation record(Connection connection, String account, JobSnapshot observed, String delivery) throws SQLException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        if (delivery != null && !Transactions.insertIfAbsent(connection,
                "INSERT INTO webhook_deliveries (delivery_key, account, job_id, received_at) VALUES (?, ?, ?, ?)",
                delivery, account, observed.id(), now)) {
            return new Observation(Change.REPLAY, null, null, null);
        }
        StoredForm.Stored form = StoredForm.of(observed.json(), mapper);
        JobSnapshot job = form.cut() ? observed.withJson(form.job()) : observed;
        String json = form.json();
        ChangeRules.Stored stored = null;
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT status, progress, updated_at FROM job_state WHERE account = ? AND job_id = ? FOR UPDATE", account, job.id());
             ResultSet rs = select.executeQuery()) {
            if (rs.next()) {
                int value = rs.getInt("progress");
                Integer progress = rs.wasNull() ? null : value;
                stored = new ChangeRules.Stored(rs.getString("status"), progress, Transactions.instant(rs, "updated_at"));
            }
        }
        if (stored == null && delivery != null && finishedBefore(connection, account, job.id())) {
            // a push for a job whose tracked state was pruned: it finished long ago (its completion or retry
            // decision is kept for good), so this is a late copy of an old push, not a new job
            return new Observation(Change.STALE, null, null, null);
        }
        Change change = ChangeRules.judge(stored, job);
        switch (change) {
            case NEW -> {
                boolean inserted = Transactions.insertIfAbsent(connection,
                        "INSERT INTO job_state (account, job_id, target_id, job_type, status, progress, created_at, updated_at, first_seen_at, changed_at, job_json) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        account, job.id(), job.storedTargetId(), job.type(), job.status(), job.progress(), job.createdAt(),
                        job.updatedAt(), now, now, json);
                if (!inserted) {
                    return new Observation(Change.UNCHANGED, null, job.fingerprint(), null);
                }
            }
            case UNCHANGED, STALE -> {
                return new Observation(change, stored.status(), stored.fingerprint(), null);
            }
            case REFINED -> {
                Transactions.update(connection,
                        "UPDATE job_state SET progress = COALESCE(?, progress), updated_at = COALESCE(?, updated_at), "
                                + "created_at = COALESCE(created_at, ?), job_json = ? WHERE account = ? AND job_id = ?",
                        job.progress(), job.updatedAt(), job.createdAt(), json, account, job.id());
                Integer progress = job.progress() != null ? job.progress() : stored.progress();
                return new Observation(Change.REFINED, stored.status(), stored.status() + "|" + (progress == null ? "" : progress), job);
            }
            default -> Transactions.update(connection,
                    "UPDATE job_state SET target_id = ?, job_type = ?, status = ?, progress = ?, created_at = ?, updated_at = ?, "
                            + "changed_at = ?, job_json = ?, gone_at = NULL WHERE account = ? AND job_id = ?",
                    job.storedTargetId(), job.type(), job.status(), job.progress(), job.createdAt(), job.updatedAt(),
                    now, json, account, job.id());
        }
        if (form.cut()) {
            metrics.counter("devana.jobs.invalid", "account", account, "reason", "too_large").increment();
            String repeat = repeats.say("job-too-large");
            if (repeat != null) {
                LOG.warn("job {} {} has over {} characters of JSON: kept and announced in a safe form (long strings "
                        + "and arrays cut){}", job.id(), MetricTags.jobType(job.type()), StoredForm.MAX_JOB_CHARS, repeat);
            }
        }
        if (JobStatus.DONE.equals(job.status())) {
            recordCompletion(connection, account, job, json, now);
        }
        EventOutbox.append(connection, events.statusChanged(account, job, now, form.cut()), now);
        return new Observation(change, stored == null ? null : stored.status(), job.fingerprint(), job);
    }

    private static boolean finishedBefore(Connection connection, String account, String jobId) throws SQLException {
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT 1 FROM job_completions WHERE account = ? AND job_id = ? "
                        + "UNION ALL SELECT 1 FROM job_retries WHERE account = ? AND failed_job_id = ?",
                account, jobId, account, jobId);
             ResultSet rs = select.executeQuery()) {
            return rs.next();
        }
    }

    private void recordCompletion(Connection connection, String account, JobSnapshot job, String json, Instant now)
            throws SQLException {
        Object metadata = job.json().get("metadata");
        Instant completedAt = job.completedAt() != null ? job.completedAt()
                : job.updatedAt() != null ? job.updatedAt() : now;
        boolean inserted = Transactions.insertIfAbsent(connection,
                "INSERT INTO job_completions (account, job_id, target_id, job_type, completed_at, recorded_at, metadata, job_json) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                account, job.id(), job.storedTargetId(), job.type(), completedAt, now, metadata == null ? null : toJson(metadata), json);
        if (inserted) {
            metrics.counter("devana.jobs.completions", "account", account, "type", MetricTags.jobType(job.type())).increment();
        }
    }

    private static void setChange(Exchange exchange, Change change) {
        exchange.getMessage().setHeader(Headers.JOB_CHANGE, change.name());
        exchange.setProperty(Headers.JOB_CHANGE, change.name());
    }

    private String toJson(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise job JSON", e);
        }
    }

    /** What recording an observation did; {@code stored} is the job as written (its safe form), or null. */
    private record Observation(Change change, String previousStatus, String storedFingerprint, JobSnapshot stored) {
    }
}
