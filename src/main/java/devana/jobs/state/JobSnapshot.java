package devana.jobs.state;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The fields of one job that the pipeline decides on, read from the job exactly as the API gave it
 * (the map itself is kept whole, unknown fields included).
 */
public record JobSnapshot(String id, String targetId, String type, String status, Integer progress,
                          Instant createdAt, Instant updatedAt, Instant completedAt, Map<String, Object> json) {

    public static final Set<String> KNOWN_TYPES =
            Set.of("EXTRACTION", "EMBEDDING", "SYNC", "IMPORT", "TRANSCRIPTION", "GENERATION");
    public static final Set<String> KNOWN_STATUSES = Set.of("PENDING", "IN_PROGRESS", "DONE", "ERROR");

    private static final Pattern PRINTABLE = Pattern.compile("[\\x21-\\x7E]+");
    private static final Pattern SAFE_TARGET = Pattern.compile("[A-Za-z0-9_-]{1,128}");

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

    public boolean knownType() {
        return KNOWN_TYPES.contains(type);
    }

    public boolean knownStatus() {
        return KNOWN_STATUSES.contains(status);
    }

    /** Whether the target id may be put into a URL path (jobs-api.md). */
    public boolean safeTarget() {
        return targetId != null && SAFE_TARGET.matcher(targetId).matches();
    }

    /** The target id as it may appear in a log line: control characters replaced, at most 64 characters. */
    public String targetLabel() {
        if (targetId == null) {
            return "(none)";
        }
        String printable = targetId.replaceAll("[^\\x20-\\x7E]", "?");
        return printable.length() > 64 ? printable.substring(0, 64) + "...(" + targetId.length() + " chars)" : printable;
    }

    /** What change detection compares: a job changed when this differs. */
    public String fingerprint() {
        return status + "|" + (progress == null ? "" : progress);
    }

    private static String token(Map<String, Object> job, String field, int maxLength) {
        Object value = job.get(field);
        if (!(value instanceof String text) || text.isEmpty()) {
            throw new InvalidJobException("job field '" + field + "' is missing or not a string");
        }
        if (text.length() > maxLength || !PRINTABLE.matcher(text).matches()) {
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
        if (!(value instanceof String text)) {
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
