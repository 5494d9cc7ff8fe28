package devana.emulator;

import devana.jobs.contract.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** Mutable state of one job; only touched while holding the {@link JobStore} lock. */
final class EmulatedJob {

    /** The status the API gives a killed job, which it never lists; the others are {@link JobStatus}'s. */

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /**
     * Where a time-driven job is heading: IN_PROGRESS from {@code startAt}, then at {@code endAt} DONE
     * (when {@code error} is null) or ERROR stuck at {@code reachedProgress}.
     */
    record Plan(Instant startAt, Instant endAt, int reachedProgress, String error) {

        Plan endingNoSoonerThan(Instant earliest) {
            return endAt.isBefore(earliest) ? new Plan(startAt, earliest, reachedProgress, error) : this;
        }
    }

    final String id;
    final String userId;
    final String targetId;
    final String type;
    final Instant createdAt;
    final Map<String, Object> extras = new LinkedHashMap<>();
    String status;
    Integer progress;
    Map<String, Object> metadata;
    String error;
    Instant startedAt;
    Instant completedAt;
    Instant updatedAt;
    Plan plan;
    long seq;

    EmulatedJob(String id, String userId, String targetId, String type, String status, Instant createdAt) {
        this.id = id;
        this.userId = userId;
        this.targetId = targetId;
        this.type = type;
        this.status = status;
        this.createdAt = createdAt;
        this.updatedAt = createdAt;
    }

    boolean visibleAt(Instant now) {
        return !JobStatus.KILLED.equals(status) && !createdAt.isBefore(now.minus(Duration.ofHours(24)));
    }

    /** Changes the status and keeps startedAt/completedAt coherent with it. */
    void moveTo(String newStatus, Instant now) {
        if (newStatus.equals(status)) {
            return;
        }
        status = newStatus;
        switch (newStatus) {
            case JobStatus.PENDING -> {
                startedAt = null;
                completedAt = null;
            }
            case JobStatus.IN_PROGRESS -> {
                startedAt = now;
                completedAt = null;
            }
            case JobStatus.DONE, JobStatus.ERROR, JobStatus.KILLED -> completedAt = now;
            default -> { }
        }
        if (!JobStatus.ERROR.equals(newStatus)) {
            error = null;
        }
        updatedAt = now;
    }

    /** Follows the plan up to {@code now}; returns the previous status when the status changed, else null. */
    String advance(Instant now) {
        if (plan == null || now.isBefore(plan.startAt())) {
            return null;
        }
        String before = status;
        Integer progressBefore = progress;
        if (now.isBefore(plan.endAt())) {
            moveTo(JobStatus.IN_PROGRESS, now);
            double elapsed = (double) Duration.between(plan.startAt(), now).toMillis()
                    / Math.max(1, Duration.between(plan.startAt(), plan.endAt()).toMillis());
            int ceiling = plan.error() == null ? 95 : plan.reachedProgress();
            progress = Math.min(ceiling, (int) (elapsed * plan.reachedProgress() / 5) * 5);
        } else if (plan.error() == null) {
            moveTo(JobStatus.DONE, now);
            progress = 100;
            plan = null;
        } else {
            moveTo(JobStatus.ERROR, now);
            error = plan.error();
            progress = plan.reachedProgress();
            plan = null;
        }
        if (!progress.equals(progressBefore)) {
            updatedAt = now;
        }
        return before.equals(status) ? null : before;
    }

    /** The job as the API shows it; nested values are shared, callers serialise or copy. */
    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("userId", userId);
        json.put("targetId", targetId);
        json.put("type", type);
        json.put("status", status);
        putIfSet(json, "progress", progress);
        putIfSet(json, "metadata", metadata);
        putIfSet(json, "error", error);
        putIfSet(json, "startedAt", format(startedAt));
        putIfSet(json, "completedAt", format(completedAt));
        json.put("createdAt", format(createdAt));
        json.put("updatedAt", format(updatedAt));
        extras.forEach((field, value) -> json.put(field, value instanceof Instant instant ? format(instant) : value));
        return json;
    }

    /** The emulator's clock: to the millisecond, as the API writes its timestamps. */
    static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    static String format(Instant instant) {
        return instant == null ? null : TIMESTAMP.format(instant);
    }

    private static void putIfSet(Map<String, Object> json, String field, Object value) {
        if (value != null) {
            json.put(field, value);
        }
    }
}
