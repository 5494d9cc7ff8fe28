package devana.jobs.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.AccountName;
import devana.jobs.http.RawRequests;
import devana.jobs.routes.Headers;
import devana.jobs.state.InvalidJobException;
import devana.jobs.state.JobLedger;
import devana.jobs.state.JobSnapshot;
import devana.jobs.state.StoredForm;
import devana.jobs.text.OneLine;
import devana.jobs.text.RepeatedFailures;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POST /webhook/job-status: checks a push (secret configured, size, signature, shape) and turns it into
 * a job as GET /v1/jobs would give it, for the same change detection as a polled job.
 *
 * <p>The push is taken as the HTTP server's guard read it ({@link RawRequests}): the raw bytes of the body,
 * whatever the content type says, and the signature from the HTTP headers only (never from the query).
 * Either scheme of {@link WebhookSignature} is accepted. An accepted push is keyed (the body's SHA-256, or
 * the Standard Webhooks id) and the key is claimed with the observation (JobLedger): a replay changes nothing.
 *
 * <p>The push is {@code {jobId, status, targetId, type, metadata}} with the error in
 * {@code metadata.error} (the vendor page's receiver). It carries no progress and no time: a DONE push
 * gets progress 100 (what a poll of a DONE job shows, so both make the same CloudEvent id), a
 * {@code metadata.progress} number is used when present, and otherwise the job has none; the ledger
 * then treats a push and a poll of the same status as the same state (see JobLedger).
 */
public class WebhookReceiver {

    /** Header the webhook route branches on: ACCEPTED, or absent when the push was answered already. */
    private static final String VERDICT = Headers.WEBHOOK_VERDICT;

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.webhook");
    private static final Set<String> PUSH_FIELDS = Set.of("jobId", "status", "targetId", "type", "metadata");

    private final String account;
    private final String secretVariable;
    private final WebhookSignature signature;
    private final ObjectMapper mapper;
    private final MeterRegistry metrics;
    private final RawRequests rawRequests;
    private final Clock clock;
    private final RepeatedFailures repeats;

    /**
     * The receiver of {@code account}'s pushes.
     * @param secret the HMAC key (checked by {@link WebhookSignature#refusal}), or null: every push is then answered 503
     * @param secretVariable the environment variable that gives it, as the 503's reason names it
     */
    public WebhookReceiver(String account, String secret, String secretVariable, ObjectMapper mapper, MeterRegistry metrics,
                           RawRequests rawRequests, Clock clock, RepeatedFailures repeats) {
        this.account = account;
        this.secretVariable = secretVariable;
        this.signature = secret == null || secret.isBlank() ? null : new WebhookSignature(secret);
        this.mapper = mapper;
        this.metrics = metrics;
        this.rawRequests = rawRequests;
        this.clock = clock;
        this.repeats = repeats;
    }

    /**
     * What keeps a replay out (webhook_deliveries.delivery_key): the push's key as the single-account releases made
     * it for the default account, made with the account's name for another (two accounts' pushes never collide).
     */
    private String deliveryKey(String singleAccountKey) {
        return AccountName.DEFAULT.equals(account) ? singleAccountKey : StoredForm.sha256(account + "|" + singleAccountKey);
    }

    /** The account the route began the exchange for (this receiver's, unless an error handler shares one). */
    private String accountOf(Exchange exchange) {
        String named = exchange.getProperty(Headers.ACCOUNT, String.class);
        return named == null ? account : named;
    }

    public boolean enabled() {
        return signature != null;
    }

    /** Checks the push in the body; on success the body becomes the job and the verdict ACCEPTED. */
    public void receive(Exchange exchange) {
        Message message = exchange.getMessage();
        if (signature == null) {
            answer(exchange, 503, "disabled", "the webhook is disabled: no secret is configured (set " + secretVariable + ")");
            return;
        }
        RawRequests.RawRequest push = rawRequests.take(exchange);
        if (push == null) {
            answer(exchange, 400, "malformed", "the push did not come through the HTTP server's guard");
            return;
        }
        // the guard read at most HttpLimits.MAX_BODY_BYTES of it, and answered 413 to a larger one
        byte[] body = push.body();
        String delivery;
        if (push.header(WebhookSignature.SIGNATURE) != null) {
            String refusal = signature.standardRefusal(body, push.header(WebhookSignature.ID),
                    push.header(WebhookSignature.TIMESTAMP), push.header(WebhookSignature.SIGNATURE), clock.instant());
            if (refusal != null) {
                answer(exchange, 401, "unauthorized", refusal);
                return;
            }
            delivery = deliveryKey(StoredForm.sha256("webhook-id:" + push.header(WebhookSignature.ID)));
        } else if (signature.verifies(body, push.header(WebhookSignature.HEADER))) {
            delivery = deliveryKey(StoredForm.sha256(body));
        } else {
            answer(exchange, 401, "unauthorized", "missing or wrong " + WebhookSignature.HEADER
                    + " (expected sha256=<hex HMAC-SHA256 of the raw body>) or Standard Webhooks headers");
            return;
        }
        Map<String, Object> job;
        try {
            job = toJob(body);
            JobSnapshot.of(job);
        } catch (MalformedPushException e) {
            answer(exchange, 400, "malformed", e.getMessage());
            return;
        } catch (InvalidJobException e) {
            answer(exchange, 400, "malformed", e.getMessage().replace("'id'", "'jobId'"));
            return;
        }
        message.setBody(job);
        message.setHeader(VERDICT, "ACCEPTED");
        exchange.setProperty(Headers.WEBHOOK_DELIVERY, delivery);
    }

    /**
     * After change detection: 202 with what the push changed (NEW, CHANGED, REFINED, UNCHANGED, STALE, or
     * REPLAY for a push accepted before). Read from exchange properties: a retry POST that failed on the way
     * leaves camel-http's answer as the message, without the job's headers.
     */
    public void recorded(Exchange exchange) {
        JobSnapshot job = exchange.getProperty(Headers.JOB, JobSnapshot.class);
        String change = exchange.getProperty(Headers.JOB_CHANGE, String.class);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("accepted", true);
        answer.put("jobId", job == null ? null : job.id());
        answer.put("status", job == null ? null : job.status());
        answer.put("change", change);
        metrics.counter("devana.webhooks", "account", accountOf(exchange),
                "outcome", "REPLAY".equals(change) ? "replay" : "accepted").increment();
        reply(exchange.getMessage(), 202, answer);
    }

    /** The push was valid but could not be recorded (database down ...): 503, the sender tries again. */
    public void failed(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        answer(exchange, 503, "failed", "the push could not be recorded, send it again later: " + OneLine.of(cause));
    }

    private void answer(Exchange exchange, int status, String outcome, String reason) {
        metrics.counter("devana.webhooks", "account", accountOf(exchange), "outcome", outcome).increment();
        Object from = exchange.getMessage().getHeader("CamelVertxPlatformHttpRemoteAddress");
        String repeat = repeats.say("webhook-refused|" + status);
        if (repeat != null) {
            LOG.warn("webhook push refused (HTTP {}){}: {}{}", status, from == null ? "" : " from " + from, reason, repeat);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("accepted", false);
        answer.put("error", reason);
        exchange.getMessage().removeHeader(VERDICT);
        reply(exchange.getMessage(), status, answer);
    }

    private void reply(Message message, int status, Map<String, Object> answer) {
        try {
            message.setBody(mapper.writeValueAsString(answer));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a webhook answer", e);
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
    }

    /** The push as a job of GET /v1/jobs: id, targetId, type, status, progress, metadata, error, then any other field. */
    Map<String, Object> toJob(byte[] body) {
        Object parsed;
        try {
            parsed = mapper.readValue(body, Object.class);
        } catch (java.io.IOException e) {
            throw new MalformedPushException("the body is not JSON");
        }
        if (!(parsed instanceof Map<?, ?> raw)) {
            throw new MalformedPushException("the body must be a JSON object {jobId, status, targetId, type, metadata}");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> push = (Map<String, Object>) raw;
        Object metadata = push.get("metadata");
        if (metadata != null && !(metadata instanceof Map)) {
            throw new MalformedPushException("metadata must be a JSON object");
        }
        for (String required : new String[] {"jobId", "status", "type"}) {
            if (!(push.get(required) instanceof String)) {
                throw new MalformedPushException(required + " is missing or not a string");
            }
        }
        Object target = push.get("targetId");
        if (target != null && !(target instanceof String)) {
            throw new MalformedPushException("targetId must be a string");
        }
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("id", push.get("jobId"));
        if (target != null) {
            job.put("targetId", target);
        }
        job.put("type", push.get("type"));
        job.put("status", push.get("status"));
        Object progress = progress(push, (Map<?, ?>) metadata);
        if (progress != null) {
            job.put("progress", progress);
        }
        if (metadata != null) {
            job.put("metadata", metadata);
            if (((Map<?, ?>) metadata).get("error") instanceof String error) {
                job.put("error", error);
            }
        }
        push.forEach((field, value) -> {
            if (!PUSH_FIELDS.contains(field)) {
                job.putIfAbsent(field, value);
            }
        });
        return job;
    }

    private static Object progress(Map<String, Object> push, Map<?, ?> metadata) {
        if (push.get("progress") instanceof Number number) {
            return number;
        }
        if (metadata != null && metadata.get("progress") instanceof Number number) {
            return number;
        }
        return "DONE".equals(push.get("status")) ? 100 : null;
    }

    /** A push that is not {jobId, status, targetId, type, metadata}. */
    static class MalformedPushException extends RuntimeException {
        MalformedPushException(String message) {
            super(message);
        }
    }

    @Override
    public String toString() {
        return "WebhookReceiver[" + (enabled() ? "secret ****" : "disabled") + "]";
    }
}
