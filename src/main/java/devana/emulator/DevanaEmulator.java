package devana.emulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import devana.jobs.contract.DevanaId;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.ListingQuery;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateful, in-process HTTP emulator of the Devana.ai Jobs API (see docs/jobs-api.md): GET /v1/jobs,
 * POST /v1/documents/{targetId}/reextract and POST /v1/folders/{targetId}/reindex, with auth, rate limit,
 * injectable faults and an optional seeded workload.
 */
public final class DevanaEmulator implements AutoCloseable {

    public static final String DEFAULT_API_KEY = "emulator-key";

    private static final Logger log = LoggerFactory.getLogger(DevanaEmulator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> JSON_OBJECT = new TypeReference<>() { };
    private static final Pattern RETRY_PATH =
            Pattern.compile("/v1/(?:documents/([^/]+)/reextract|folders/([^/]+)/reindex)");
    private static final int MAX_RECORDED_REQUESTS = 50_000;
    private static final int DEFAULT_STANDALONE_PORT = 8089;

    private record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
    }

    private static final class PendingFault {
        final String methodAndPathPrefix;
        final Fault fault;
        int remaining;

        PendingFault(String methodAndPathPrefix, Fault fault, int remaining) {
            this.methodAndPathPrefix = methodAndPathPrefix;
            this.fault = fault;
            this.remaining = remaining;
        }
    }

    private final EmulatorOptions options;
    private final Workload workload;
    private final JobStore store = new JobStore();
    private final HttpServer server;
    private final ExecutorService httpThreads;
    private final ScheduledExecutorService ticker;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Deque<RecordedRequest> requests = new ArrayDeque<>();
    private final List<RetryRequest> retryRequests = new CopyOnWriteArrayList<>();
    private final List<Consumer<RecordedRequest>> requestListeners = new CopyOnWriteArrayList<>();
    private final List<PendingFault> faults = new ArrayList<>();
    private final RateLimiter rateLimiter;
    private volatile String apiKey;
    private volatile BiFunction<String, String, RetryOutcome> retryOutcome;
    private final List<WebhookDelivery> webhookDeliveries = new CopyOnWriteArrayList<>();
    private volatile WebhookSender webhooks;

    private DevanaEmulator(EmulatorOptions options) {
        this.options = options;
        this.apiKey = options.apiKey();
        this.rateLimiter = new RateLimiter(options.rateLimitPerMinute());
        this.workload = new Workload(options.seed(), options.speed());
        this.retryOutcome = workload::defaultRetryOutcome;
        if (options.workload()) {
            workload.initialJobs(now()).forEach(store::add);
        }
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", options.port()), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + options.port(), e);
        }
        httpThreads = Executors.newCachedThreadPool(daemonThreads("devana-emulator-http"));
        ticker = Executors.newSingleThreadScheduledExecutor(daemonThreads("devana-emulator-ticker"));
        server.createContext("/", this::handle);
        server.setExecutor(httpThreads);
        server.start();
        ticker.scheduleAtFixedRate(this::tick, 200, 200, TimeUnit.MILLISECONDS);
        log.info("Devana emulator listening on {} ({})", baseUrl(), options);
    }

    public static DevanaEmulator start(EmulatorOptions options) {
        return new DevanaEmulator(options);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String apiKey() {
        return apiKey;
    }

    /** Rotates the key: from now on the previous one gets 401. */
    public void setApiKey(String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("apiKey must not be blank");
        }
        this.apiKey = key;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            ticker.shutdownNow();
            if (webhooks != null) {
                webhooks.close();
            }
            server.stop(0);
            httpThreads.shutdownNow();
            log.info("Devana emulator on port {} stopped", server.getAddress().getPort());
        }
    }

    public JobBuilder job() {
        return new JobBuilder(this);
    }

    String add(JobBuilder spec) {
        Instant now = now();
        Instant createdAt = spec.createdAt == null ? now : spec.createdAt.truncatedTo(ChronoUnit.MILLIS);
        Instant changedAt = createdAt.isAfter(now) ? createdAt : now;
        String id = spec.id != null ? spec.id : workload.newJobId();
        String target = spec.targetId != null ? spec.targetId : workload.newTargetId(spec.type);
        EmulatedJob job = new EmulatedJob(id, workload.userId(), target, spec.type, spec.status, createdAt);
        job.progress = spec.progress;
        job.error = spec.error;
        job.metadata = spec.metadata;
        job.extras.putAll(spec.extras);
        if (!EmulatedJob.PENDING.equals(spec.status)) {
            job.startedAt = createdAt;
        }
        if (Set.of(EmulatedJob.DONE, EmulatedJob.ERROR, EmulatedJob.KILLED).contains(spec.status)) {
            job.completedAt = changedAt;
        }
        job.updatedAt = changedAt;
        store.add(job);
        return id;
    }

    /** Sets status and/or progress (null leaves it unchanged) and takes the job out of time-driven control. */
    public void update(String jobId, String status, Integer progress) {
        Instant now = now();
        Map<String, Object> changed = store.with(jobId, job -> {
            job.plan = null;
            String before = job.status;
            if (status != null) {
                job.moveTo(status, now);
            }
            if (progress != null) {
                job.progress = progress;
            }
            job.updatedAt = now;
            return before.equals(job.status) ? null : job.toJson();
        });
        pushLater(changed);
    }

    public void fail(String jobId, String error) {
        Instant now = now();
        Map<String, Object> changed = store.with(jobId, job -> {
            job.plan = null;
            String before = job.status;
            job.moveTo(EmulatedJob.ERROR, now);
            job.error = error;
            job.updatedAt = now;
            return before.equals(job.status) ? null : job.toJson();
        });
        pushLater(changed);
    }

    /**
     * From now on, every status change (time-driven or made through this API) is pushed to {@code url}
     * as the vendor's webhook, signed with {@code secret}; a null url stops the pushes.
     */
    public void sendWebhooks(String url, String secret) {
        WebhookSender previous = webhooks;
        webhooks = url == null ? null : WebhookSender.create(url, secret, webhookDeliveries);
        if (previous != null) {
            previous.close();
        }
        log.info("webhook pushes {}", url == null ? "off" : "on, to " + url);
    }

    /** Pushes the job's current state now and returns how the receiver answered (webhooks must be on). */
    public WebhookDelivery pushWebhook(String jobId) {
        WebhookSender sender = webhooks;
        if (sender == null) {
            throw new IllegalStateException("webhooks are off: call sendWebhooks(url, secret) first");
        }
        return sender.send(WebhookSender.payload(store.with(jobId, EmulatedJob::toJson)));
    }

    /** Every push sent so far, in the order the answers came. */
    public List<WebhookDelivery> webhookDeliveries() {
        return List.copyOf(webhookDeliveries);
    }

    private void pushLater(Map<String, Object> job) {
        WebhookSender sender = webhooks;
        if (sender != null && job != null) {
            sender.sendLater(WebhookSender.payload(job));
        }
    }

    public void kill(String jobId) {
        update(jobId, EmulatedJob.KILLED, null);
    }

    /** The job as GET /v1/jobs would return it (even when KILLED or too old to be listed). */
    public Map<String, Object> jobJson(String jobId) {
        return copy(store.with(jobId, EmulatedJob::toJson));
    }

    public int visibleJobCount() {
        return store.visibleCount(now());
    }

    /** Requests in the order they were answered (the latest 50,000). */
    public List<RecordedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    public List<RetryRequest> retryRequests() {
        return List.copyOf(retryRequests);
    }

    public void clearRecords() {
        synchronized (requests) {
            requests.clear();
        }
        retryRequests.clear();
    }

    /** Called on the request thread before the answer is computed, with status 0. */
    public void addRequestListener(Consumer<RecordedRequest> beforeResponse) {
        requestListeners.add(beforeResponse);
    }

    /**
     * The next {@code times} requests whose "METHOD /path" starts with the prefix get this fault instead
     * of (or, for a slow fault, before) the normal answer. Faults are used up in the order injected.
     */
    public void injectFault(String methodAndPathPrefix, Fault fault, int times) {
        if (times < 1) {
            throw new IllegalArgumentException("times must be >= 1");
        }
        synchronized (faults) {
            faults.add(new PendingFault(methodAndPathPrefix, fault, times));
        }
    }

    public void clearFaults() {
        synchronized (faults) {
            faults.clear();
        }
    }

    /** Decides, per (targetId, jobType), what a job created by reextract/reindex does. */
    public void setRetryOutcome(BiFunction<String, String, RetryOutcome> policy) {
        this.retryOutcome = policy == null ? workload::defaultRetryOutcome : policy;
    }

    private void tick() {
        try {
            Instant now = now();
            store.advance(now).forEach(this::pushLater);
            if (options.workload()) {
                EmulatedJob arrived = workload.arrival(now, store.visibleCount(now), options.maxVisibleJobs());
                if (arrived != null) {
                    store.add(arrived);
                    log.debug("job {} {} target {} queued", arrived.id, arrived.type, arrived.targetId);
                }
            }
        } catch (RuntimeException e) {
            log.warn("emulator tick failed", e);
        }
    }

    private void handle(HttpExchange exchange) {
        Instant at = now();
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getRawPath();
        String query = exchange.getRequestURI().getRawQuery();
        Response response;
        try {
            exchange.getRequestBody().readAllBytes();
            RecordedRequest arriving = new RecordedRequest(method, path, query, 0, at);
            requestListeners.forEach(listener -> listener.accept(arriving));
            response = respond(exchange, method, path, query);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
            return;
        } catch (Exception e) {
            log.warn("emulator failed on {} {}", method, path, e);
            response = error(500, "emulator error: " + e.getMessage());
        }
        record(new RecordedRequest(method, path, query, response.status(), at));
        log.debug("{} {}{} -> {}", method, path, query == null ? "" : "?" + query, response.status());
        try {
            send(exchange, response);
        } catch (IOException e) {
            log.debug("could not answer {} {}: {}", method, path, e.toString());
        }
    }

    private Response respond(HttpExchange exchange, String method, String path, String query)
            throws InterruptedException {
        Fault fault = takeFault(method + " " + path);
        if (fault != null) {
            log.info("injected fault on {} {}: status {}, delay {} ms", method, path,
                    fault.answersNormally() ? "normal" : fault.status(), fault.delay().toMillis());
            if (!fault.delay().isZero()) {
                Thread.sleep(fault.delay().toMillis());
            }
            if (!fault.answersNormally()) {
                return new Response(fault.status(), fault.contentType(),
                        fault.body() == null ? new byte[0] : fault.body().getBytes(StandardCharsets.UTF_8),
                        fault.headers());
            }
        }
        boolean listing = path.equals("/v1/jobs") && method.equals("GET");
        Matcher retry = RETRY_PATH.matcher(path);
        boolean retrying = method.equals("POST") && retry.matches();
        if (!listing && !retrying) {
            return error(404, "no such endpoint: " + method + " " + path);
        }
        String denied = authenticationProblem(exchange.getRequestHeaders().getFirst("Authorization"));
        if (denied != null) {
            return error(401, denied);
        }
        Instant now = now();
        long retryAfter = rateLimiter.acquire(apiKey, now);
        if (retryAfter > 0) {
            log.info("rate limit of {} requests/min reached: {} {} answered 429, retry after {} s",
                    rateLimiter.limit(), method, path, retryAfter);
            Response tooMany = error(429, "rate limit exceeded: " + rateLimiter.limit() + " requests per minute");
            return new Response(429, tooMany.contentType(), tooMany.body(),
                    Map.of("Retry-After", String.valueOf(retryAfter)));
        }
        if (listing) {
            return listJobs(query, now);
        }
        return retry.group(1) != null
                ? createRetry("reextract", "EXTRACTION", retry.group(1), now)
                : createRetry("reindex", "EMBEDDING", retry.group(2), now);
    }

    private String authenticationProblem(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return "missing API key: send Authorization: Bearer <key>";
        }
        byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, apiKey.getBytes(StandardCharsets.UTF_8)) ? null : "invalid API key";
    }

    private Response listJobs(String rawQuery, Instant now) {
        Map<String, String> params = ListingQuery.parameters(rawQuery);
        String status = params.get("type");
        if (status != null && !JobStatus.isKnown(status)) {
            return error(400, "type must be one of PENDING, IN_PROGRESS, DONE, ERROR");
        }
        ListingQuery window;
        try {
            window = ListingQuery.of(params);
        } catch (ListingQuery.Refused e) {
            return error(400, e.getMessage());
        }
        List<Map<String, Object>> page = store.page(now, params.get("targetId"), status, window.offset(), window.limit());
        return ok(200, page);
    }

    private Response createRetry(String kind, String type, String rawTargetId, Instant now) {
        String targetId;
        try {
            targetId = URLDecoder.decode(rawTargetId.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return error(400, "targetId is not valid percent-encoding");
        }
        if (!DevanaId.isValid(targetId)) {
            return error(400, "targetId must match ^[A-Za-z0-9_-]{1,128}$");
        }
        RetryOutcome outcome = retryOutcome.apply(targetId, type);
        EmulatedJob job = workload.retryJob(targetId, type, outcome, store.latestMetadata(targetId, type), now);
        store.add(job);
        retryRequests.add(new RetryRequest(kind, targetId, job.id, now));
        log.debug("{} of target {} accepted: new {} job {} will {}", kind, targetId, type, job.id, outcome);
        return ok(202, store.with(job.id, EmulatedJob::toJson));
    }

    private Fault takeFault(String methodAndPath) {
        synchronized (faults) {
            for (Iterator<PendingFault> it = faults.iterator(); it.hasNext(); ) {
                PendingFault pending = it.next();
                if (methodAndPath.startsWith(pending.methodAndPathPrefix)) {
                    if (--pending.remaining == 0) {
                        it.remove();
                    }
                    return pending.fault;
                }
            }
            return null;
        }
    }

    private void record(RecordedRequest request) {
        synchronized (requests) {
            if (requests.size() == MAX_RECORDED_REQUESTS) {
                requests.removeFirst();
            }
            requests.addLast(request);
        }
    }

    private static void send(HttpExchange exchange, Response response) throws IOException {
        try (exchange) {
            if (response.contentType() != null) {
                exchange.getResponseHeaders().set("Content-Type", response.contentType());
            }
            response.headers().forEach(exchange.getResponseHeaders()::set);
            byte[] body = response.body();
            exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    private static Response ok(int status, Object data) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.put("data", data);
        return json(status, body);
    }

    private static Response error(int status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("error", message);
        return json(status, body);
    }

    private static Response json(int status, Object body) {
        try {
            return new Response(status, "application/json", JSON.writeValueAsBytes(body), Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a response", e);
        }
    }

    private static Map<String, Object> copy(Map<String, Object> json) {
        try {
            return JSON.readValue(JSON.writeValueAsBytes(json), JSON_OBJECT);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a job", e);
        }
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Standalone: {@code [--port 8089] [--api-key KEY] [--seed 42] [--speed 30] [--no-workload] [--webhook-url URL]}. */
    public static void main(String[] args) {
        EmulatorOptions options;
        boolean ownKey = false;
        String webhookUrl = null;
        String webhookSecret = System.getenv("DEVANA_WEBHOOK_SECRET");
        try {
            String envPort = System.getenv("DEVANA_EMULATOR_PORT");
            options = EmulatorOptions.demo().withPort(envPort == null || envPort.isBlank()
                    ? DEFAULT_STANDALONE_PORT : Integer.parseInt(envPort.trim()));
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--port" -> options = options.withPort(Integer.parseInt(value(args, ++i, arg)));
                    case "--api-key" -> {
                        options = options.withApiKey(value(args, ++i, arg));
                        ownKey = true;
                    }
                    case "--seed" -> options = options.withSeed(Long.parseLong(value(args, ++i, arg)));
                    case "--speed" -> options = options.withSpeed(Double.parseDouble(value(args, ++i, arg)));
                    case "--no-workload" -> options = options.withWorkload(false);
                    case "--webhook-url" -> webhookUrl = value(args, ++i, arg);
                    case "--help", "-h" -> {
                        System.out.println(usage());
                        return;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + arg);
                }
            }
            if (webhookUrl != null && (webhookSecret == null || webhookSecret.isBlank())) {
                throw new IllegalArgumentException("--webhook-url needs the signing key in DEVANA_WEBHOOK_SECRET");
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + usage());
            System.exit(2);
            return;
        }
        DevanaEmulator emulator = start(options);
        if (webhookUrl != null) {
            emulator.sendWebhooks(webhookUrl, webhookSecret);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            emulator.close();
            stopped.countDown();
        }, "devana-emulator-shutdown"));
        System.out.println("Devana Jobs emulator on " + emulator.baseUrl() + " - API key: "
                + (ownKey ? "the one given with --api-key" : DEFAULT_API_KEY)
                + (options.workload() ? " - demo workload, seed " + options.seed() : " - no workload")
                + (webhookUrl != null ? " - pushing webhooks to " + webhookUrl : "")
                + " - Ctrl-C to stop");
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    private static String usage() {
        return "usage: java -cp devana-jobs.jar devana.emulator.DevanaEmulator"
                + " [--port 8089] [--api-key KEY] [--seed 42] [--speed 30] [--no-workload] [--webhook-url URL]"
                + "\n  the port defaults to $DEVANA_EMULATOR_PORT, else 8089"
                + "\n  --webhook-url pushes every status change there, signed with $DEVANA_WEBHOOK_SECRET";
    }
}
