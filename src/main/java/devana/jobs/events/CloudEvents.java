package devana.jobs.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.AccountName;
import devana.jobs.state.JobSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Maps job observations and retry decisions to CloudEvents 1.0 in JSON structured mode (docs/architecture.md, "The events").
 * The id is derived from what changed, so the same change seen twice (two instances, a poll and a
 * webhook, a replay after a crash) carries the same id and a consumer can de-duplicate by it.
 */
public final class CloudEvents {

    public static final String CONTENT_TYPE = "application/cloudevents+json";
    private static final String PREFIX = "ai.devana.job.";

    private final Map<String, String> sources;
    private final ObjectMapper mapper;

    /** The events of the accounts whose API base URLs {@code apiBaseUrls} holds, by account name. */
    public CloudEvents(Map<String, String> apiBaseUrls, ObjectMapper mapper) {
        Map<String, String> sources = new LinkedHashMap<>();
        apiBaseUrls.forEach((account, url) -> sources.put(account, stripTrailingSlash(url) + "/v1/jobs"));
        this.sources = Map.copyOf(sources);
        this.mapper = mapper;
    }

    /**
     * The event for a job that is new or changed, or null when its status has no event type. A job kept in
     * its safe form ({@code cut}, see StoredForm) carries that form as data and the extension {@code truncated}.
     */
    public Event statusChanged(String account, JobSnapshot job, Instant observedAt, boolean cut) {
        if (!job.knownStatus()) {
            return null;
        }
        String type = PREFIX + job.status().toLowerCase(Locale.ROOT);
        Instant time = job.updatedAt() != null ? job.updatedAt() : observedAt;
        return build(account, job, type, job.id() + "|" + job.fingerprint(), time, cut ? Map.of("truncated", true) : Map.of());
    }

    /** The event for a retry decision (REQUESTED, EXHAUSTED, REJECTED); other outcomes have none. */
    public Event retryDecided(String account, JobSnapshot failedJob, String outcome, Integer attempt, Instant decidedAt) {
        String type = switch (outcome) {
            case "REQUESTED" -> PREFIX + "retry.requested";
            case "EXHAUSTED" -> PREFIX + "retry.exhausted";
            case "REJECTED" -> PREFIX + "retry.rejected";
            default -> null;
        };
        if (type == null) {
            return null;
        }
        Map<String, Object> extensions = attempt == null ? Map.of() : Map.of("attempt", attempt);
        return build(account, failedJob, type, failedJob.id() + "|retry|" + outcome, decidedAt, extensions);
    }

    private Event build(String account, JobSnapshot job, String type, String change, Instant time,
                        Map<String, Object> extensions) {
        String source = sources.get(account);
        if (source == null) {
            throw new IllegalArgumentException("no account " + account + " in devana.accounts");
        }
        // the default account's ids are those of the single-account releases, so a consumer's de-duplication holds
        String identity = AccountName.DEFAULT.equals(account) ? change : account + "|" + change;
        String id = UUID.nameUUIDFromBytes(identity.getBytes(StandardCharsets.UTF_8)).toString();
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("specversion", "1.0");
        event.put("id", id);
        event.put("source", source);
        event.put("type", type);
        event.put("subject", job.id());
        event.put("time", time.toString());
        event.put("datacontenttype", "application/json");
        event.put("jobtype", job.type());
        event.put("targetid", job.storedTargetId());
        event.put("account", account);
        event.putAll(extensions);
        event.put("data", job.json());
        try {
            return new Event(id, account, type, job.id(), job.type(), job.storedTargetId(), mapper.writeValueAsString(event), null);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise event for job " + job.id(), e);
        }
    }

    private static String stripTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /**
     * One CloudEvent ready for the outbox.
     *
     * @param traceparent the W3C trace context of the job change it announces (JobTraces), or null: it travels beside
     *                    the event (the bus's traceparent header), not in it
     */
    public record Event(String id, String account, String type, String jobId, String jobType, String targetId, String json,
                        String traceparent) {

        /** The same event, in the trace of this job change. */
        public Event inTrace(String traceparent) {
            return new Event(id, account, type, jobId, jobType, targetId, json, traceparent);
        }

        /** {@link #inTrace}, for an event that may be none (a status or a decision without an event type: null). */
        public static Event traced(Event event, String traceparent) {
            return event == null ? null : event.inTrace(traceparent);
        }
    }
}
