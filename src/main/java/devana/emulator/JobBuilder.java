package devana.emulator;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Describes a job to put into the emulator. Type and status are free strings so a test can add an
 * unknown type ("OCR") or a KILLED job. Defaults: generated id and target, EXTRACTION, PENDING, created now,
 * no progress, no metadata.
 */
public final class JobBuilder {

    private final DevanaEmulator emulator;
    String id;
    String type = "EXTRACTION";
    String targetId;
    String status = EmulatedJob.PENDING;
    Integer progress;
    String error;
    Map<String, Object> metadata;
    Instant createdAt;
    final Map<String, Object> extras = new LinkedHashMap<>();

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
}
