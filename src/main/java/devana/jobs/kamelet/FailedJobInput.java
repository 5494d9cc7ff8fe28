package devana.jobs.kamelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.JobStatus;
import devana.jobs.state.InvalidJobException;
import devana.jobs.state.JobSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.camel.StreamCache;

/**
 * What devana-jobs-retry-action is given, read as nothing more than data: a failed job's CloudEvent (structured JSON,
 * type ai.devana.job.error, its data the job), or the failed job itself, as text, bytes, a stream or a map, at most
 * {@value #MAX_BYTES} bytes; and whether the API's own page of the job's target shows that failure.
 */
final class FailedJobInput {

    /**
     * The largest input read: an event of the app carries a job of at most 256 Ki characters (StoredForm), so anything
     * much larger is no failed job's event, and is passed on unread rather than parsed into memory.
     */
    static final int MAX_BYTES = 1024 * 1024;

    private FailedJobInput() {
    }

    /** A failed job read from the input, or why the input is none ({@code job} null). */
    record Read(Map<String, Object> job, JobSnapshot snapshot, String notOne) {

        static Read none(String why) {
            return new Read(null, null, why);
        }
    }

    @SuppressWarnings("unchecked")
    static Read read(Object input, ObjectMapper mapper) {
        JsonNode node;
        try {
            if (input instanceof Map<?, ?> map) {
                node = mapper.valueToTree(map);
            } else if (input instanceof String text) {
                if (text.length() > MAX_BYTES) {
                    return Read.none("over " + MAX_BYTES + " characters");
                }
                node = mapper.readTree(text);
            } else if (input instanceof byte[] bytes) {
                if (bytes.length > MAX_BYTES) {
                    return Read.none("over " + MAX_BYTES + " bytes");
                }
                node = mapper.readTree(bytes);
            } else if (input instanceof InputStream stream) {
                byte[] bytes = bounded(stream);
                if (bytes == null) {
                    return Read.none("over " + MAX_BYTES + " bytes");
                }
                node = mapper.readTree(bytes);
            } else {
                return Read.none(input == null ? "no body" : "a body of type " + input.getClass().getSimpleName());
            }
        } catch (IOException | IllegalArgumentException e) {
            return Read.none("not JSON");
        }
        if (node == null || !node.isObject()) {
            return Read.none("not a JSON object");
        }
        if (node.has("specversion") || node.has("type") && node.path("type").asText().startsWith("ai.devana.job.")) {
            if (!"ai.devana.job.error".equals(node.path("type").asText())) {
                return Read.none(null); // another event: passed on, nothing to say
            }
            if (!node.path("data").isObject()) {
                return Read.none("an error event without a job as its data");
            }
            node = node.get("data");
        }
        Map<String, Object> job = mapper.convertValue(node, Map.class);
        JobSnapshot snapshot;
        try {
            snapshot = JobSnapshot.of(job);
        } catch (InvalidJobException e) {
            return Read.none(e.getMessage());
        }
        if (!JobStatus.ERROR.equals(snapshot.status())) {
            return Read.none(null); // a job that did not fail: passed on, nothing to say
        }
        return new Read(job, snapshot, null);
    }

    /** The stream read up to {@link #MAX_BYTES} (then reset if it is a stream cache), or null when it is longer. */
    private static byte[] bounded(InputStream stream) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int read;
        while ((read = stream.read(buffer)) != -1) {
            bytes.write(buffer, 0, read);
            if (bytes.size() > MAX_BYTES) {
                reset(stream);
                return null;
            }
        }
        reset(stream);
        return bytes.toByteArray();
    }

    private static void reset(InputStream stream) {
        if (stream instanceof StreamCache cache) {
            cache.reset();
        }
    }

    /**
     * The failure as the API's page of the target's jobs shows it: the job of the same id, type and target, in ERROR; null
     * when the page does not show it so (a forged or stale event, a job gone or retried already).
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> shownFailed(List<Object> page, JobSnapshot claimed) {
        for (Object candidate : page) {
            if (!(candidate instanceof Map<?, ?> map) || !claimed.id().equals(map.get("id"))) {
                continue;
            }
            JobSnapshot shown;
            try {
                shown = JobSnapshot.of(map);
            } catch (InvalidJobException e) {
                return null;
            }
            boolean same = JobStatus.ERROR.equals(shown.status()) && Objects.equals(shown.type(), claimed.type())
                    && Objects.equals(shown.targetId(), claimed.targetId());
            return same ? (Map<String, Object>) map : null;
        }
        return null;
    }
}
