package devana.emulator;

import devana.jobs.contract.JobStatus;
import devana.jobs.contract.JobType;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Describes a job to put into the emulator. Type and status are free strings so a test can add an
 * unknown type ("OCR") or a KILLED job. Defaults: generated id and target, EXTRACTION, PENDING, created now,
 * no progress, no metadata.
 */
public final class JobBuilder {

    private final DevanaEmulator emulator;
    private String id;
    private String type = JobType.EXTRACTION;
    private String targetId;
    private String status = JobStatus.PENDING;
    private Integer progress;
    private String error;
    private Map<String, Object> metadata;
    private Instant createdAt;
    private final Map<String, Object> extras = new LinkedHashMap<>();

    JobBuilder(DevanaEmulator emulator) {
        this.emulator = emulator;
    }

    public JobBuilder id(String id) {
        this.id = Objects.requireNonNull(id, "id");
        return this;
    }

    public JobBuilder type(String type) {
        this.type = Objects.requireNonNull(type, "type");
        return this;
    }

    public JobBuilder target(String targetId) {
        this.targetId = Objects.requireNonNull(targetId, "targetId");
        return this;
    }

    public JobBuilder status(String status) {
        this.status = Objects.requireNonNull(status, "status");
        return this;
    }

    public JobBuilder progress(Integer progress) {
        this.progress = progress;
        return this;
    }

    public JobBuilder error(String error) {
        this.error = error;
        return this;
    }

    public JobBuilder metadata(Map<String, Object> metadata) {
        this.metadata = metadata == null ? null : new LinkedHashMap<>(metadata);
        return this;
    }

    public JobBuilder createdAt(Instant createdAt) {
        this.createdAt = createdAt;
        return this;
    }

    /** A field the documented Job does not have; a documented field name replaces that field's value. */
    public JobBuilder extra(String field, Object value) {
        extras.put(Objects.requireNonNull(field, "field"), value);
        return this;
    }

    /** Stores the job and returns its id. */
    public String add() {
        return emulator.add(this);
    }

    /** The job described, its missing id and target drawn from the workload, its dates coherent with its status. */
    EmulatedJob toJob(Workload workload, Instant now) {
        Instant created = createdAt == null ? now : createdAt.truncatedTo(ChronoUnit.MILLIS);
        Instant changedAt = created.isAfter(now) ? created : now;
        String jobId = id != null ? id : workload.newJobId();
        String target = targetId != null ? targetId : workload.newTargetId(type);
        EmulatedJob job = new EmulatedJob(jobId, workload.userId(), target, type, status, created);
        job.progress = progress;
        job.error = error;
        job.metadata = metadata;
        job.extras.putAll(extras);
        if (!JobStatus.PENDING.equals(status)) {
            job.startedAt = created;
        }
        if (Set.of(JobStatus.DONE, JobStatus.ERROR, JobStatus.KILLED).contains(status)) {
            job.completedAt = changedAt;
        }
        job.updatedAt = changedAt;
        return job;
    }
}
