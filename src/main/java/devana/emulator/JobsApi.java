package devana.emulator;

import com.sun.net.httpserver.HttpExchange;
import devana.jobs.contract.ApiRequest;
import devana.jobs.contract.DevanaId;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.ListingQuery;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP routing of the emulated API's three calls (docs/jobs-api.md): GET /v1/jobs,
 * POST /v1/documents/{id}/reextract and POST /v1/folders/{id}/reindex, behind the injected faults,
 * the Bearer key and the rate limit; every request is recorded in the {@link RequestLog}.
 */
final class JobsApi {

    private static final Logger log = LoggerFactory.getLogger(JobsApi.class);

    private final JobStore store;
    private final Workload workload;
    private final RequestLog requests;
    private final FaultPlan faults;
    private final RateLimiter rateLimiter;
    private volatile String apiKey;
    private volatile BiFunction<String, String, RetryOutcome> retryOutcome;

    JobsApi(EmulatorOptions options, JobStore store, Workload workload, RequestLog requests, FaultPlan faults) {
        this.store = store;
        this.workload = workload;
        this.requests = requests;
        this.faults = faults;
        this.rateLimiter = new RateLimiter(options.rateLimitPerMinute());
        this.apiKey = options.apiKey();
        this.retryOutcome = workload::defaultRetryOutcome;
    }

    String apiKey() {
        return apiKey;
    }

    void setApiKey(String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("apiKey must not be blank");
        }
        this.apiKey = key;
    }

    void setRetryOutcome(BiFunction<String, String, RetryOutcome> policy) {
        this.retryOutcome = policy == null ? workload::defaultRetryOutcome : policy;
    }

    void handle(HttpExchange exchange) {
        Instant at = EmulatedJob.now();
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        String query = exchange.getRequestURI().getRawQuery();
        HttpAnswer answer;
        try {
            exchange.getRequestBody().readAllBytes();
            requests.arriving(new RecordedRequest(method, path, query, 0, at));
            answer = respond(exchange, method, path, query);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
            return;
        } catch (Exception e) {
            log.warn("emulator failed on {} {}", method, path, e);
            answer = HttpAnswer.error(500, "emulator error: " + e.getMessage());
        }
        requests.answered(new RecordedRequest(method, path, query, answer.status(), at));
        log.debug("{} {}{} -> {}", method, path, query == null ? "" : "?" + query, answer.status());
        try {
            answer.sendTo(exchange);
        } catch (IOException e) {
            log.debug("could not answer {} {}: {}", method, path, e.toString());
        }
    }

    private HttpAnswer respond(HttpExchange exchange, String method, String path, String query)
            throws InterruptedException {
        HttpAnswer faulted = faults.answer(method, path);
        if (faulted != null) {
            return faulted;
        }
        boolean listing = path.equals(ApiRequest.JOBS_PATH) && method.equals("GET");
        ApiRequest.RetryCall retry = method.equals("POST") ? ApiRequest.retryCall(path) : null;
        if (!listing && retry == null) {
            return HttpAnswer.error(404, "no such endpoint: " + method + " " + path);
        }
        String denied = authenticationProblem(exchange.getRequestHeaders().getFirst("Authorization"));
        if (denied != null) {
            return HttpAnswer.error(401, denied);
        }
        Instant now = EmulatedJob.now();
        long retryAfter = rateLimiter.acquire(apiKey, now);
        if (retryAfter > 0) {
            log.info("rate limit of {} requests/min reached: {} {} answered 429, retry after {} s",
                    rateLimiter.limit(), method, path, retryAfter);
            return HttpAnswer.error(429, "rate limit exceeded: " + rateLimiter.limit() + " requests per minute")
                    .withHeaders(Map.of("Retry-After", String.valueOf(retryAfter)));
        }
        return listing ? listJobs(query, now) : createRetry(retry, now);
    }

    private String authenticationProblem(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "missing API key: send Authorization: Bearer <key>";
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, apiKey.getBytes(StandardCharsets.UTF_8)) ? null : "invalid API key";
    }

    private HttpAnswer listJobs(String rawQuery, Instant now) {
        Map<String, String> params = ListingQuery.parameters(rawQuery);
        String status = params.get("type");
        if (status != null && !JobStatus.isKnown(status)) {
            return HttpAnswer.error(400, "type must be one of " + String.join(", ", JobStatus.KNOWN));
        }
        ListingQuery window;
        try {
            window = ListingQuery.of(params);
        } catch (ListingQuery.Refused e) {
            return HttpAnswer.error(400, e.getMessage());
        }
        List<Map<String, Object>> page = store.page(now, params.get("targetId"), status, window.offset(), window.limit());
        return HttpAnswer.ok(200, page);
    }

    private HttpAnswer createRetry(ApiRequest.RetryCall call, Instant now) {
        String targetId;
        try {
            targetId = URLDecoder.decode(call.rawTarget().replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return HttpAnswer.error(400, "targetId is not valid percent-encoding");
        }
        if (!DevanaId.isValid(targetId)) {
            return HttpAnswer.error(400, "targetId must match ^" + DevanaId.PATTERN.pattern() + "$");
        }
        String type = call.jobType();
        RetryOutcome outcome = retryOutcome.apply(targetId, type);
        EmulatedJob job = workload.retryJob(targetId, type, outcome, store.latestMetadata(targetId, type), now);
        store.add(job);
        requests.retried(new RetryRequest(call.name(), targetId, job.id, now));
        log.debug("{} of target {} accepted: new {} job {} will {}", call.name(), targetId, type, job.id, outcome);
        return HttpAnswer.ok(202, store.with(job.id, EmulatedJob::toJson));
    }
}
