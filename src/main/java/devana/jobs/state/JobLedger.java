package devana.jobs.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.events.CloudEvents;
import devana.jobs.events.EventOutbox;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Change detection with its effects, in one transaction per observation: the job's last seen state,
 * the completion row of a DONE job and the CloudEvent announcing the change are committed together,
 * or not at all. Only then does the in-memory cache learn the new state, so a failure never marks as
 * seen what was not stored.
 */
public class JobLedger {

    public static final String CHANGE = "jobChange";
    public static final String PREVIOUS_STATUS = "previousStatus";
    /** Header naming where an observation came from: "webhook", or absent for a poll. */
    public static final String SOURCE = "jobSource";

    private static final int CACHE_SIZE = 50_000;

    private final Transactions tx;
    private final CloudEvents events;
    private final ObjectMapper mapper;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final Map<String, String> lastSeen = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > CACHE_SIZE;
        }
    });

    public JobLedger(Transactions tx, CloudEvents events, ObjectMapper mapper, MeterRegistry metrics, Clock clock) {
        this.tx = tx;
        this.events = events;
        this.mapper = mapper;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * Reads the job in the body, records it, and sets the headers the dispatch route routes on:
     * jobId, jobType, jobStatus, targetId, jobChange (NEW, CHANGED, UNCHANGED, STALE, or INVALID with
     * invalidReason for a job that cannot be read), previousStatus.
     */
    public void observe(Exchange exchange) throws SQLException {
        Message message = exchange.getMessage();
        JobSnapshot job;
        try {
            job = JobSnapshot.of(message.getBody());
        } catch (InvalidJobException e) {
            metrics.counter("devana.jobs.invalid", "reason", "unreadable").increment();
            message.setHeader(CHANGE, "INVALID");
            message.setHeader("invalidReason", e.getMessage());
            return;
        }
        message.setHeader("jobId", job.id());
        message.setHeader("jobType", job.type());
        message.setHeader("jobStatus", job.status());
        message.setHeader("targetId", job.targetId());
        message.setHeader("jobProgress", job.progress());
        message.setHeader("targetLabel", job.targetLabel());
        message.setHeader("progressLabel", job.progress() == null ? "" : " (" + job.progress() + "%)");
        exchange.setProperty("job", job);
        Object source = message.getHeader(SOURCE);
        metrics.counter("devana.jobs.observed", "type", job.type(), "status", job.status(),
                "source", source == null ? "poll" : source.toString()).increment();
        if (job.absurdProgress()) {
            metrics.counter("devana.jobs.invalid", "reason", "progress").increment();
        }
        String fingerprint = job.fingerprint();
        if (fingerprint.equals(lastSeen.get(job.id()))) {
            message.setHeader(CHANGE, "UNCHANGED");
            return;
        }
        Observation observation = tx.inTransaction(connection -> record(connection, job));
        if (job.updatedAt() == null && (observation.change == Change.NEW || observation.change == Change.CHANGED)) {
            // an untimed observation (a webhook push): the next poll goes to the database and fills the row in
            lastSeen.remove(job.id());
        } else {
            lastSeen.put(job.id(), observation.storedFingerprint);
        }
        message.setHeader(CHANGE, observation.change.name());
        message.setHeader(PREVIOUS_STATUS, observation.previousStatus == null ? "(new)" : observation.previousStatus);
        if (observation.change == Change.NEW || observation.change == Change.CHANGED) {
            metrics.counter("devana.jobs.transitions", "type", job.type(), "status", job.status()).increment();
        }
    }

    /** The jobs last seen PENDING or IN_PROGRESS and still visible: what incremental polling keeps asking about. */
    public List<ActiveJob> activeJobs() throws SQLException {
        return tx.inTransaction(connection -> {
            List<ActiveJob> active = new ArrayList<>();
            try (PreparedStatement select = Transactions.query(connection,
                    "SELECT job_id, target_id, status, created_at FROM job_state "
                            + "WHERE status IN ('PENDING', 'IN_PROGRESS') AND gone_at IS NULL");
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
    public void markGone(String jobId) throws SQLException {
        tx.inTransaction(connection -> Transactions.update(connection,
                "UPDATE job_state SET gone_at = ? WHERE job_id = ? AND gone_at IS NULL", clock.instant(), jobId));
        lastSeen.remove(jobId);
    }

    /** A job believed active, as incremental polling needs it. */
    public record ActiveJob(String id, String targetId, String status, Instant createdAt) {
    }

    /** Forgets the cache, as after a restart (tests and the webhook path use the database as the truth). */
    public void forgetCache() {
        lastSeen.clear();
    }

    /**
     * Compares the observation with the stored state and writes what it changes:
     * <ul>
     * <li>same status, and the same progress or none given: UNCHANGED (a push carries no progress, so
     *     a push of the state a poll already saw, or the reverse, is the same state);</li>
     * <li>older than the stored observation (both timed): STALE;</li>
     * <li>back from DONE or ERROR to an earlier status without being provably newer: STALE (a late push,
     *     or a page read before a push was recorded, never reopens a finished job);</li>
     * <li>same status, and it fills in the progress or time the stored row lacks: REFINED, the row is
     *     completed without an event;</li>
     * <li>otherwise NEW or CHANGED: row, completion and event in this transaction.</li>
     * </ul>
     */
    private Observation record(Connection connection, JobSnapshot job) throws SQLException {
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        String json = toJson(job);
        Stored stored = null;
        try (PreparedStatement select = Transactions.query(connection,
                "SELECT status, progress, updated_at FROM job_state WHERE job_id = ? FOR UPDATE", job.id());
             ResultSet rs = select.executeQuery()) {
            if (rs.next()) {
                int value = rs.getInt("progress");
                Integer progress = rs.wasNull() ? null : value;
                stored = new Stored(rs.getString("status"), progress, Transactions.instant(rs, "updated_at"));
            }
        }
        Change change;
        if (stored == null) {
            boolean inserted = Transactions.insertIfAbsent(connection,
                    "INSERT INTO job_state (job_id, target_id, job_type, status, progress, created_at, updated_at, first_seen_at, changed_at, job_json) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    job.id(), job.targetId(), job.type(), job.status(), job.progress(), job.createdAt(), job.updatedAt(), now, now, json);
            if (!inserted) {
                return new Observation(Change.UNCHANGED, null, job.fingerprint());
            }
            change = Change.NEW;
        } else if (stored.status.equals(job.status())
                && (job.progress() == null || stored.progress == null || job.progress().equals(stored.progress))) {
            boolean fillsIn = (stored.progress == null && job.progress() != null)
                    || (stored.updatedAt == null && job.updatedAt() != null);
            if (!fillsIn) {
                return new Observation(Change.UNCHANGED, stored.status, stored.fingerprint());
            }
            Transactions.update(connection,
                    "UPDATE job_state SET progress = COALESCE(?, progress), updated_at = COALESCE(?, updated_at), "
                            + "created_at = COALESCE(created_at, ?), job_json = ? WHERE job_id = ?",
                    job.progress(), job.updatedAt(), job.createdAt(), json, job.id());
            Integer progress = job.progress() != null ? job.progress() : stored.progress;
            return new Observation(Change.REFINED, stored.status, stored.status + "|" + (progress == null ? "" : progress));
        } else if (stored.updatedAt != null && job.updatedAt() != null && job.updatedAt().isBefore(stored.updatedAt)) {
            return new Observation(Change.STALE, stored.status, stored.fingerprint());
        } else if (FINISHED.contains(stored.status) && !FINISHED.contains(job.status())
                && (stored.updatedAt == null || job.updatedAt() == null || !job.updatedAt().isAfter(stored.updatedAt))) {
            return new Observation(Change.STALE, stored.status, stored.fingerprint());
        } else {
            Transactions.update(connection,
                    "UPDATE job_state SET target_id = ?, job_type = ?, status = ?, progress = ?, created_at = ?, updated_at = ?, "
                            + "changed_at = ?, job_json = ?, gone_at = NULL WHERE job_id = ?",
                    job.targetId(), job.type(), job.status(), job.progress(), job.createdAt(), job.updatedAt(), now, json, job.id());
            change = Change.CHANGED;
        }
        if ("DONE".equals(job.status())) {
            recordCompletion(connection, job, json, now);
        }
        EventOutbox.append(connection, events.statusChanged(job, now), now);
        return new Observation(change, stored == null ? null : stored.status, job.fingerprint());
    }

    private void recordCompletion(Connection connection, JobSnapshot job, String json, Instant now) throws SQLException {
        Object metadata = job.json().get("metadata");
        Instant completedAt = job.completedAt() != null ? job.completedAt()
                : job.updatedAt() != null ? job.updatedAt() : now;
        boolean inserted = Transactions.insertIfAbsent(connection,
                "INSERT INTO job_completions (job_id, target_id, job_type, completed_at, recorded_at, metadata, job_json) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?)",
                job.id(), job.targetId(), job.type(), completedAt, now, metadata == null ? null : toJson(metadata), json);
        if (inserted) {
            metrics.counter("devana.jobs.completions", "type", job.type()).increment();
        }
    }

    private String toJson(JobSnapshot job) {
        return toJson(job.json());
    }

    private String toJson(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise job JSON", e);
        }
    }

    private enum Change { NEW, CHANGED, REFINED, UNCHANGED, STALE }

    private static final Set<String> FINISHED = Set.of("DONE", "ERROR");

    private record Stored(String status, Integer progress, Instant updatedAt) {
        String fingerprint() {
            return status + "|" + (progress == null ? "" : progress);
        }
    }

    private record Observation(Change change, String previousStatus, String storedFingerprint) {
    }
}
