package devana.emulator;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import devana.jobs.contract.JobStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateful, in-process HTTP emulator of the Devana.ai Jobs API (see docs/jobs-api.md): GET /v1/jobs,
 * POST /v1/documents/{targetId}/reextract and POST /v1/folders/{targetId}/reindex, with auth, rate limit,
 * injectable faults and an optional seeded workload. This class starts and stops it and is what tests and
 * the app hold; the calls are answered by {@link JobsApi}, its command line is {@link EmulatorCommand}.
 */
public final class DevanaEmulator implements AutoCloseable {

    public static final String DEFAULT_API_KEY = "emulator-key";

    private static final Logger log = LoggerFactory.getLogger(DevanaEmulator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> JSON_OBJECT = new TypeReference<>() { };

    private final EmulatorOptions options;
    private final Workload workload;
    private final JobStore store = new JobStore();
    private final RequestLog requests = new RequestLog();
    private final FaultPlan faults = new FaultPlan();
    private final JobsApi api;
    private final HttpServer server;
    private final ExecutorService httpThreads;
    private final ScheduledExecutorService ticker;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<WebhookDelivery> webhookDeliveries = new CopyOnWriteArrayList<>();
    private volatile WebhookSender webhooks;

    private DevanaEmulator(EmulatorOptions options) {
        this.options = options;
        this.workload = new Workload(options.seed(), options.speed());
        this.api = new JobsApi(options, store, workload, requests, faults);
        if (options.workload()) {
            workload.initialJobs(EmulatedJob.now()).forEach(store::add);
        }
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", options.port()), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + options.port(), e);
        }
        httpThreads = Executors.newCachedThreadPool(daemonThreads("devana-emulator-http"));
        ticker = Executors.newSingleThreadScheduledExecutor(daemonThreads("devana-emulator-ticker"));
        server.createContext("/", api::handle);
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
        return api.apiKey();
    }

    /** Rotates the key: from now on the previous one gets 401. */
    public void setApiKey(String key) {
        api.setApiKey(key);
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
        EmulatedJob job = spec.toJob(workload, EmulatedJob.now());
        store.add(job);
        return job.id;
    }

    /** Sets status and/or progress (null leaves it unchanged) and takes the job out of time-driven control. */
    public void update(String jobId, String status, Integer progress) {
        change(jobId, (job, now) -> {
            if (status != null) {
                job.moveTo(status, now);
            }
            if (progress != null) {
                job.progress = progress;
            }
        });
    }

    public void fail(String jobId, String error) {
        change(jobId, (job, now) -> {
            job.moveTo(JobStatus.ERROR, now);
            job.error = error;
        });
    }

    public void kill(String jobId) {
        update(jobId, JobStatus.KILLED, null);
    }

    /** Takes the job out of time-driven control, edits it and pushes it when its status changed. */
    private void change(String jobId, BiConsumer<EmulatedJob, Instant> edit) {
        Instant now = EmulatedJob.now();
        Map<String, Object> changed = store.with(jobId, job -> {
            job.plan = null;
            String before = job.status;
            edit.accept(job, now);
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

    /** The job as GET /v1/jobs would return it (even when KILLED or too old to be listed). */
    public Map<String, Object> jobJson(String jobId) {
        Map<String, Object> json = store.with(jobId, EmulatedJob::toJson);
        try {
            return JSON.readValue(JSON.writeValueAsBytes(json), JSON_OBJECT);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a job", e);
        }
    }

    public int visibleJobCount() {
        return store.visibleCount(EmulatedJob.now());
    }

    /** Requests in the order they were answered (the latest 50,000). */
    public List<RecordedRequest> requests() {
        return requests.requests();
    }

    public List<RetryRequest> retryRequests() {
        return requests.retryRequests();
    }

    public void clearRecords() {
        requests.clear();
    }

    /** Called on the request thread before the answer is computed, with status 0. */
    public void addRequestListener(Consumer<RecordedRequest> beforeResponse) {
        requests.addListener(beforeResponse);
    }

    /**
     * The next {@code times} requests whose "METHOD /path" starts with the prefix get this fault instead
     * of (or, for a slow fault, before) the normal answer. Faults are used up in the order injected.
     */
    public void injectFault(String methodAndPathPrefix, Fault fault, int times) {
        faults.inject(methodAndPathPrefix, fault, times);
    }

    public void clearFaults() {
        faults.clear();
    }

    /** Decides, per (targetId, jobType), what a job created by reextract/reindex does. */
    public void setRetryOutcome(BiFunction<String, String, RetryOutcome> policy) {
        api.setRetryOutcome(policy);
    }

    private void tick() {
        try {
            Instant now = EmulatedJob.now();
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

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Standalone, as {@code devana-jobs emulator}: see {@link EmulatorCommand}. */
    public static void main(String[] args) {
        EmulatorCommand.main(args);
    }
}
