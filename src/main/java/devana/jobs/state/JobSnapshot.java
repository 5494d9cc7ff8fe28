package devana.jobs.state;

import devana.jobs.contract.DevanaId;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.JobType;
import devana.jobs.contract.Token;
import devana.jobs.text.OneLine;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fields of one job that the pipeline decides on, read from the job exactly as the API gave it
 * (the map itself is kept whole, unknown fields included).
 */
public record JobSnapshot(String id, String targetId, String type, String status, Integer progress,
                          Instant createdAt, Instant updatedAt, Instant completedAt, Map<String, Object> json) {

    /** The longest target id stored as it is; a longer one (never a Devana id) is stored shortened. */
    public static final int MAX_STORED_TARGET = 256;


    /** Reads a job; a job without a usable id, type or status is refused with the reason. */
    public static JobSnapshot of(Object candidate) {
        if (!(candidate instanceof Map<?, ?> raw)) {
            throw new InvalidJobException("a job must be a JSON object, got " + describe(candidate));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> job = (Map<String, Object>) raw;
        String id = token(job, "id", 255);
        String type = token(job, "type", 64);
        String status = token(job, "status", 32);
        Object target = job.get("targetId");
        return new JobSnapshot(id, target == null ? null : String.valueOf(target), type, status,
                progress(job.get("progress")), instant(job.get("createdAt")), instant(job.get("updatedAt")), instant(job.get("completedAt")), job);
    }

    /** A failed job known only by its retry claim (its stored JSON could not be read). */
    public static JobSnapshot minimal(String id, String type, String targetId) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("targetId", targetId);
        json.put("type", type);
        json.put("status", JobStatus.ERROR);
        return new JobSnapshot(id, targetId, type, JobStatus.ERROR, null, null, null, null, json);
    }

    /** The same sighting, decided for this target and type (a retry claim's): its JSON stays as the API gave it. */
    public JobSnapshot pinnedTo(String claimedTarget, String claimedType) {
        return new JobSnapshot(id, claimedTarget, claimedType, status, progress, createdAt, updatedAt, completedAt, json);
    }

    /** The same job with another JSON (its stored form, see {@link StoredForm}). */
    public JobSnapshot withJson(Map<String, Object> stored) {
        return new JobSnapshot(id, targetId, type, status, progress, createdAt, updatedAt, completedAt, stored);
    }

    public boolean knownType() {
        return JobType.isKnown(type);
    }

    public boolean knownStatus() {
        return JobStatus.isKnown(status);
    }

    /** Whether the target id may be put into a request ({@link DevanaId}). */
    public boolean safeTarget() {
        return DevanaId.isValid(targetId);
    }

    /** The target id as it may appear in a log line: see {@link #label}. */
    public String targetLabel() {
        return label(targetId);
    }

    /** A target id as it may appear in a log line: control characters escaped, at most 64 characters. */
    public static String label(String targetId) {
        return targetId == null ? "(none)" : OneLine.printable(targetId, 64);
    }

    /**
     * The target id as the tables and events keep it: as it is up to {@value #MAX_STORED_TARGET} characters,
     * else its start, its length and a digest (such an id is never sent anywhere; it only has to be told apart).
     */
    public String storedTargetId() {
        if (targetId == null || targetId.length() <= MAX_STORED_TARGET) {
            return targetId;
        }
        return targetId.substring(0, 160) + "...(" + targetId.length() + " chars, sha256 "
                + StoredForm.sha256(targetId).substring(0, 16) + ")";
    }

    /** What change detection compares: a job changed when this differs. */
    public String fingerprint() {
        return ChangeRules.fingerprint(status, progress);
    }

    private static String token(Map<String, Object> job, String field, int maxLength) {
        Object value = job.get(field);
        if (!(value instanceof String text) || text.isEmpty()) {
            throw new InvalidJobException("job field '" + field + "' is missing or not a string");
        }
        if (!Token.isValid(text, maxLength)) {
            throw new InvalidJobException("job field '" + field + "' is not a printable token of at most "
                    + maxLength + " characters");
        }
        return text;
    }

    /** Whether the API sent a progress that is not a number in 0..100 (it is then ignored, not trusted). */
    public boolean absurdProgress() {
        return progress == null && json.get("progress") != null;
    }

    private static Integer progress(Object value) {
        if (value instanceof Number number) {
            double p = number.doubleValue();
            if (p >= 0 && p <= 100) {
                return (int) Math.round(p);
            }
        }
        return null;
    }

    static Instant instant(Object value) {
        if (!(value instanceof String text) || text.length() > 64) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String describe(Object candidate) {
        return candidate == null ? "null" : candidate.getClass().getSimpleName();
    }
}
