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
import devana.jobs.traces.JobTraces;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    /** The most jobs {@link #recordAll} writes in one transaction. */
    static final int CHUNK = 100;

    private static final String INSERT_STATE = "INSERT INTO job_state (account, job_id, target_id, job_type, status, progress, "
            + "created_at, updated_at, first_seen_at, changed_at, job_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String REFINE_STATE = "UPDATE job_state SET progress = COALESCE(?, progress), updated_at = COALESCE(?, "
            + "updated_at), created_at = COALESCE(created_at, ?), job_json = ? WHERE account = ? AND job_id = ?";
    private static final String CHANGE_STATE = "UPDATE job_state SET target_id = ?, job_type = ?, status = ?, progress = ?, "
            + "created_at = ?, updated_at = ?, changed_at = ?, job_json = ?, gone_at = NULL WHERE account = ? AND job_id = ?";
    private static final String INSERT_COMPLETION = "INSERT INTO job_completions (account, job_id, target_id, job_type, "
            + "completed_at, recorded_at, metadata, job_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

    private final Transactions tx;
    private final CloudEvents events;
    private final ObjectMapper mapper;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final RepeatedFailures repeats;
    private final JobTraces traces;
    private final RecentlySeen<String> lastSeen = new RecentlySeen<>(CACHE_SIZE);
    private final AccountActivity activity = new AccountActivity();

    public JobLedger(Transactions tx, CloudEvents events, ObjectMapper mapper, MeterRegistry metrics, Clock clock,
                     RepeatedFailures repeats, JobTraces traces) {
        this.traces = traces;
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
        Sighting sighting = message.getBody() instanceof Sighting recorded ? recorded : null;
        JobSnapshot job;
        try {
            if (sighting != null) {
                message.setBody(sighting.raw);
                if (sighting.unreadable != null) {
                    throw sighting.unreadable;
                }
                job = sighting.job;
            } else {
                job = JobSnapshot.of(message.getBody());
            }
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
        counted(account, job, source == null ? "poll" : "webhook");
        String delivery = exchange.getProperty(Headers.WEBHOOK_DELIVERY, String.class);
        String cacheKey = account + "|" + job.id();
        Observation observation;
        if (sighting != null && sighting.refused != null) {
            notRecorded(exchange, account, job, sighting.refused);
            return;
        } else if (sighting != null && sighting.observation != null) {
            observation = sighting.observation; // recorded with its page's other jobs (recordAll)
        } else {
            if (delivery == null && job.fingerprint().equals(lastSeen.get(cacheKey))) {
                setChange(exchange, Change.UNCHANGED);
                return;
            }
            JobSnapshot observed = job;
            try {
                observation = tx.inTransaction(connection -> record(connection, account, observed, delivery));
            } catch (SQLException e) {
                if (unreachable(e)) {
                    throw e; // the database is down: the cycle (or the push) fails as a whole, and says so once
                }
                notRecorded(exchange, account, job, e);
                return;
            }
        }
        if (observation.trace != null) {
            if (sighting == null || sighting.observation == null) {
                observation.trace.recorded(); // its transaction is committed (a sighting's was, with its chunk)
            }
            exchange.setProperty(JobTraces.CHANGE, observation.trace.traceparent());
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
        if (observation.cut) {
            metrics.counter("devana.jobs.invalid", "account", account, "reason", "too_large").increment();
            String repeat = repeats.say("job-too-large");
            if (repeat != null) {
                LOG.warn("job {} {} has over {} characters of JSON: kept and announced in a safe form (long strings "
                        + "and arrays cut){}", job.id(), MetricTags.jobType(job.type()), StoredForm.MAX_JOB_CHARS, repeat);
            }
        }
        if (observation.completed) {
            metrics.counter("devana.jobs.completions", "account", account, "type", MetricTags.jobType(job.type())).increment();
        }
    }

    /**
     * Records the jobs of a cycle (the body, a list as the API gave them) before they are dispatched, {@value #CHUNK}
     * at a time, each chunk in one transaction with batched statements: the jobs' rows, completions and events are
     * committed together or not at all, and none is cached as seen before its chunk is committed. The body becomes the
     * list of {@link Sighting}s, which {@link #observe} then applies one by one, as the split hands them over; a job seen
     * as it was last time (the cache says so) is only counted, not handed over, unless it failed (its retry may be
     * left to resume): at a hundred accounts, routing the unchanged jobs of every page was 40 % of the steady CPU. A chunk
     * that the database refuses (a row it cannot take, or a push or another instance writing one of these jobs at the
     * same time) is recorded again job by job, so that only the job at fault is skipped. An unreachable database
     * fails the cycle, as in {@link #observe}.
     */
    public void recordAll(Exchange exchange) throws SQLException {
        String account = Headers.account(exchange);
        List<?> jobs = exchange.getMessage().getBody(List.class);
        List<Sighting> sightings = new ArrayList<>(jobs.size());
        List<Sighting> toRecord = new ArrayList<>();
        for (Object raw : jobs) {
            Sighting sighting;
            try {
                JobSnapshot job = JobSnapshot.of(raw);
                sighting = new Sighting(raw, job, null);
                if (!job.fingerprint().equals(lastSeen.get(account + "|" + job.id()))) {
                    toRecord.add(sighting);
                } else if (!JobStatus.ERROR.equals(job.status())) {
                    // seen as it is, and nothing to act on (a failure may still have a retry to resume): not dispatched
                    counted(account, job, "poll");
                    continue;
                }
            } catch (InvalidJobException e) {
                sighting = new Sighting(raw, null, e);
            }
            sightings.add(sighting);
        }
        for (int from = 0; from < toRecord.size(); from += CHUNK) {
            recordChunk(account, toRecord.subList(from, Math.min(from + CHUNK, toRecord.size())));
        }
        exchange.getMessage().setBody(sightings);
    }

    private void recordChunk(String account, List<Sighting> chunk) throws SQLException {
        List<Observation> together;
        try {
            together = tx.inTransaction(connection -> recordTogether(connection, account, chunk));
        } catch (SQLException | RuntimeException e) {
            if (e instanceof SQLException sql && unreachable(sql)) {
                throw sql;
            }
            // one by one, a job the database refuses is skipped alone (and one that fails otherwise fails its cycle at
            // that job, as it would have alone)
            LOG.debug("{} jobs of account {} recorded one by one: together, they were refused ({})", chunk.size(),
                    account, OneLine.of(e));
            for (Sighting sighting : chunk) {
                try {
                    sighting.observation = tx.inTransaction(connection -> record(connection, account, sighting.job, null));
                    if (sighting.observation.trace != null) {
                        sighting.observation.trace.recorded();
                    }
                } catch (SQLException one) {
                    if (unreachable(one)) {
                        throw one;
                    }
                    sighting.refused = one;
                }
            }
            return;
        }
        for (int i = 0; i < chunk.size(); i++) {
            chunk.get(i).observation = together.get(i);
            if (together.get(i).trace != null) {
                together.get(i).trace.recorded();
            }
        }
    }

    /** Counts a sighting of a job (and a progress the API sent that is not one), dispatched or not. */
    private void counted(String account, JobSnapshot job, String source) {
        metrics.counter("devana.jobs.observed", "account", account, "type", MetricTags.jobType(job.type()),
                "status", MetricTags.status(job.status()), "source", source).increment();
        if (job.absurdProgress()) {
            metrics.counter("devana.jobs.invalid", "account", account, "reason", "progress").increment();
        }
    }

    private void notRecorded(Exchange exchange, String account, JobSnapshot job, SQLException e) {
        // the database refused this job's rows (a constraint, a trigger, a value it cannot take): the job is
        // skipped, the others go on, and it is tried again on the next cycle
        Message message = exchange.getMessage();
        metrics.counter("devana.jobs.invalid", "account", account, "reason", "not_recorded").increment();
        message.setHeader(Headers.JOB_CHANGE, "INVALID");
        message.setHeader(Headers.INVALID_REASON, "job " + job.id() + " could not be written ("
                + OneLine.of(e) + "); tried again on the next cycle");
        message.setHeader(Headers.INVALID_REPEATS, repeats.say("job-not-recorded|" + e.getSQLState()));
        exchange.setProperty(Headers.JOB_CHANGE, "INVALID");
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
            return new Observation(Change.REPLAY, null, null, null, false, false);
        }
        ChangeRules.Stored stored = null;
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT status, progress, updated_at FROM job_state WHERE account = ? AND job_id = ? FOR UPDATE", account, observed.id());
             ResultSet rs = select.executeQuery()) {
            if (rs.next()) {
                stored = storedState(rs);
            }
        }
        if (stored == null && delivery != null && finishedBefore(connection, account, observed.id())) {
            // a push for a job whose tracked state was pruned: it finished long ago (its completion or retry
            // decision is kept for good), so this is a late copy of an old push, not a new job
            return new Observation(Change.STALE, null, null, null, false, false);
        }
        Change change = ChangeRules.judge(stored, observed);
        if (change == Change.UNCHANGED || change == Change.STALE) {
            return new Observation(change, stored.status(), stored.fingerprint(), null, false, false);
        }
        StoredForm.Stored form = StoredForm.of(observed.json(), mapper);
        JobSnapshot job = form.cut() ? observed.withJson(form.job()) : observed;
        switch (change) {
            case NEW -> {
                if (!Transactions.insertIfAbsent(connection, INSERT_STATE, newState(account, job, form.json(), now))) {
                    return new Observation(Change.UNCHANGED, null, job.fingerprint(), null, false, false);
                }
            }
            case REFINED -> {
                Transactions.update(connection, REFINE_STATE, refinedState(account, job, form.json()));
                return refined(stored, job);
            }
            default -> Transactions.update(connection, CHANGE_STATE, changedState(account, job, form.json(), now));
        }
        boolean completed = JobStatus.DONE.equals(job.status())
                && Transactions.insertIfAbsent(connection, INSERT_COMPLETION, completion(account, job, form.json(), now));
        String previous = stored == null ? null : stored.status();
        CloudEvents.Event event = events.statusChanged(account, job, now, form.cut());
        JobTraces.Change trace = traced(event, account, job, previous, delivery == null ? "poll" : "webhook");
        EventOutbox.append(connection, CloudEvents.Event.traced(event, trace == null ? null : trace.traceparent()), now);
        return new Observation(change, previous, job.fingerprint(), job, form.cut(), completed, trace);
    }

    /**
     * {@link #record} for a chunk of a cycle's jobs (none a push), with one statement per kind of write: their stored
     * states read at once (and locked), then each kind of row written in one batch. Completions and events already
     * there are left as they are, as {@link Transactions#insertIfAbsent} would; a job written by someone else meanwhile
     * makes a batch fail, and the caller records the chunk again job by job.
     */
    private List<Observation> recordTogether(Connection connection, String account, List<Sighting> chunk) throws SQLException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        Map<String, ChangeRules.Stored> stored = new HashMap<>();
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT job_id, status, progress, updated_at FROM job_state WHERE (account, job_id) IN ("
                        + Transactions.rowsOfParameters(chunk.size(), 2) + ") FOR UPDATE", keys(account, chunk.stream().map(s -> s.job.id()).toList()));
             ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                stored.put(rs.getString("job_id"), storedState(rs));
            }
        }
        Observation[] observations = new Observation[chunk.size()];
        List<Completed> done = new ArrayList<>();
        List<CloudEvents.Event> announced = new ArrayList<>();
        try (PreparedStatement insert = connection.prepareStatement(INSERT_STATE);
             PreparedStatement update = connection.prepareStatement(CHANGE_STATE);
             PreparedStatement refine = connection.prepareStatement(REFINE_STATE)) {
            int inserts = 0;
            int updates = 0;
            int refines = 0;
            for (int i = 0; i < chunk.size(); i++) {
                JobSnapshot observed = chunk.get(i).job;
                ChangeRules.Stored before = stored.get(observed.id());
                Change change = ChangeRules.judge(before, observed);
                if (change == Change.UNCHANGED || change == Change.STALE) {
                    observations[i] = new Observation(change, before.status(), before.fingerprint(), null, false, false);
                    continue;
                }
                StoredForm.Stored form = StoredForm.of(observed.json(), mapper);
                JobSnapshot job = form.cut() ? observed.withJson(form.job()) : observed;
                switch (change) {
                    case NEW -> {
                        Transactions.addBatch(insert, newState(account, job, form.json(), now));
                        inserts++;
                    }
                    case REFINED -> {
                        Transactions.addBatch(refine, refinedState(account, job, form.json()));
                        refines++;
                        observations[i] = refined(before, job);
                        continue;
                    }
                    default -> {
                        Transactions.addBatch(update, changedState(account, job, form.json(), now));
                        updates++;
                    }
                }
                if (JobStatus.DONE.equals(job.status())) {
                    done.add(new Completed(job, form.json()));
                }
                String previous = before == null ? null : before.status();
                CloudEvents.Event event = events.statusChanged(account, job, now, form.cut());
                JobTraces.Change trace = traced(event, account, job, previous, "poll");
                announced.add(CloudEvents.Event.traced(event, trace == null ? null : trace.traceparent()));
                observations[i] = new Observation(change, previous, job.fingerprint(), job, form.cut(), false, trace);
            }
            if (inserts > 0) {
                insert.executeBatch();
            }
            if (updates > 0) {
                update.executeBatch();
            }
            if (refines > 0) {
                refine.executeBatch();
            }
        }
        Set<String> completed = recordCompletions(connection, account, done, now);
        EventOutbox.appendAll(connection, announced, now);
        for (int i = 0; i < observations.length; i++) {
            Observation observation = observations[i];
            if (observation.stored != null && completed.contains(observation.stored.id())) {
                observations[i] = new Observation(observation.change, observation.previousStatus, observation.storedFingerprint,
                        observation.stored, observation.cut, true, observation.trace);
            }
        }
        return List.of(observations);
    }

    /** The trace of a change that is announced (a status with no event type, one not known today, has none). */
    private JobTraces.Change traced(CloudEvents.Event event, String account, JobSnapshot job, String previous, String observedBy) {
        return event == null ? null : traces.change(account, job.id(), job.type(), job.status(), previous, job.targetId(), observedBy);
    }

    /** The completion rows of these DONE jobs that are not there yet; returns the ids of the jobs whose row it wrote. */
    private Set<String> recordCompletions(Connection connection, String account, List<Completed> done, Instant now)
            throws SQLException {
        Set<String> inserted = new HashSet<>();
        if (done.isEmpty()) {
            return inserted;
        }
        Set<String> present = new HashSet<>();
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT job_id FROM job_completions WHERE (account, job_id) IN ("
                        + Transactions.rowsOfParameters(done.size(), 2) + ")", keys(account, done.stream().map(d -> d.job.id()).toList()));
             ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                present.add(rs.getString(1));
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT_COMPLETION)) {
            for (Completed row : done) {
                if (!present.contains(row.job.id()) && inserted.add(row.job.id())) {
                    Transactions.addBatch(insert, completion(account, row.job, row.json, now));
                }
            }
            if (!inserted.isEmpty()) {
                insert.executeBatch();
            }
        }
        return inserted;
    }

    /** The parameters of {@code (account, job_id) IN (...)} for these jobs. */
    private static Object[] keys(String account, List<String> jobIds) {
        Object[] keys = new Object[jobIds.size() * 2];
        for (int i = 0; i < jobIds.size(); i++) {
            keys[2 * i] = account;
            keys[2 * i + 1] = jobIds.get(i);
        }
        return keys;
    }

    /** A DONE job of a chunk as stored, and its JSON text, for its completion row. */
    private record Completed(JobSnapshot job, String json) {
    }

    private static ChangeRules.Stored storedState(ResultSet rs) throws SQLException {
        int value = rs.getInt("progress");
        Integer progress = rs.wasNull() ? null : value;
        return new ChangeRules.Stored(rs.getString("status"), progress, Transactions.instant(rs, "updated_at"));
    }

    private static Observation refined(ChangeRules.Stored stored, JobSnapshot job) {
        Integer progress = job.progress() != null ? job.progress() : stored.progress();
        return new Observation(Change.REFINED, stored.status(), stored.status() + "|" + (progress == null ? "" : progress), job,
                false, false);
    }

    private static Object[] newState(String account, JobSnapshot job, String json, Instant now) {
        return new Object[] {account, job.id(), job.storedTargetId(), job.type(), job.status(), job.progress(), job.createdAt(),
                job.updatedAt(), now, now, json};
    }

    private static Object[] refinedState(String account, JobSnapshot job, String json) {
        return new Object[] {job.progress(), job.updatedAt(), job.createdAt(), json, account, job.id()};
    }

    private static Object[] changedState(String account, JobSnapshot job, String json, Instant now) {
        return new Object[] {job.storedTargetId(), job.type(), job.status(), job.progress(), job.createdAt(), job.updatedAt(),
                now, json, account, job.id()};
    }

    private Object[] completion(String account, JobSnapshot job, String json, Instant now) {
        Object metadata = job.json().get("metadata");
        Instant completedAt = job.completedAt() != null ? job.completedAt()
                : job.updatedAt() != null ? job.updatedAt() : now;
        return new Object[] {account, job.id(), job.storedTargetId(), job.type(), completedAt, now,
                metadata == null ? null : toJson(metadata), json};
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

    /**
     * What recording an observation did; {@code stored} is the job as written (its safe form), or null; {@code cut}:
     * stored in its safe form; {@code completed}: its completion row was written.
     */
    private record Observation(Change change, String previousStatus, String storedFingerprint, JobSnapshot stored, boolean cut,
                               boolean completed, JobTraces.Change trace) {

        /** An observation that wrote no event: no trace. */
        Observation(Change change, String previousStatus, String storedFingerprint, JobSnapshot stored, boolean cut,
                    boolean completed) {
            this(change, previousStatus, storedFingerprint, stored, cut, completed, null);
        }
    }

    /** One job of a cycle, as {@link #recordAll} read it (or could not) and recorded it (or could not), for {@link #observe}. */
    public static final class Sighting {
        private final Object raw;
        private final JobSnapshot job;
        private final InvalidJobException unreadable;
        private Observation observation;
        private SQLException refused;

        private Sighting(Object raw, JobSnapshot job, InvalidJobException unreadable) {
            this.raw = raw;
            this.job = job;
            this.unreadable = unreadable;
        }
    }
}
