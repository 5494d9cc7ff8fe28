package devana.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline: the vendor page's approach, rewritten here in Java from its algorithms (no code taken
 * from the page), pointed at an emulator.
 * <ul>
 * <li>The retry loop of its bash script: {@code GET /v1/jobs?type=ERROR} (no limit, so the API's
 * default of 25), a retry POST for every EXTRACTION or EMBEDDING job in the answer (nothing for
 * other types), a 2 s pause after each job, and the whole again 5 minutes later. It keeps no
 * memory between rounds (its MAX_RETRIES is declared but never used).</li>
 * <li>Its Python {@code JobMonitor.wait_for_job(target_id)}, one per job the user started (the
 * user knows the target ids; nothing is discovered): {@code GET /v1/jobs?targetId=..} (default
 * limit), the newest job decides: DONE returns, ERROR raises, anything else sleeps 2 s and asks
 * again, until the default timeout of 300 s. The page's own call also passes
 * {@code type=EXTRACTION}, a status filter by the API's reading, which the emulator answers with
 * 400; the monitor here sends no type so that it works.</li>
 * </ul>
 */
final class PageScripts implements AutoCloseable {

    static final Duration MONITOR_PAUSE = Duration.ofSeconds(2);
    static final Duration MONITOR_TIMEOUT = Duration.ofSeconds(300);
    static final Duration LOOP_PAUSE = Duration.ofMinutes(5);
    static final Duration PAUSE_PER_JOB = Duration.ofSeconds(2);

    /** What a monitor saw last: DONE, ERROR, TIMEOUT, NOT_FOUND or FAILED (an HTTP error raised). */
    record Outcome(String status, Instant at) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String apiKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ScheduledExecutorService monitors = Executors.newScheduledThreadPool(4, daemon("page-monitor"));
    private final Thread retryLoop;
    private final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
    private final Map<String, List<Instant>> retries = new ConcurrentHashMap<>();
    private final AtomicInteger httpErrors = new AtomicInteger();
    private volatile boolean stopped;

    PageScripts(String baseUrl, String apiKey) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        this.retryLoop = daemon("page-retry-loop").newThread(this::retryEveryFiveMinutes);
    }

    void startRetryLoop() {
        retryLoop.start();
    }

    /** wait_for_job(targetId), started now. */
    void waitForJob(String targetId) {
        Instant deadline = Instant.now().plus(MONITOR_TIMEOUT);
        monitors.execute(() -> poll(targetId, deadline));
    }

    Map<String, Outcome> monitorOutcomes() {
        return Map.copyOf(outcomes);
    }

    /** Retry POST times per target id. */
    Map<String, List<Instant>> retries() {
        Map<String, List<Instant>> copy = new ConcurrentHashMap<>();
        retries.forEach((target, times) -> copy.put(target, List.copyOf(times)));
        return copy;
    }

    int httpErrors() {
        return httpErrors.get();
    }

    private void poll(String targetId, Instant deadline) {
        if (stopped) {
            return;
        }
        if (!Instant.now().isBefore(deadline)) {
            outcomes.put(targetId, new Outcome("TIMEOUT", Instant.now()));
            return;
        }
        try {
            HttpResponse<String> response = get("/v1/jobs?targetId=" + URLEncoder.encode(targetId, StandardCharsets.UTF_8));
            if (response.statusCode() != 200) {
                httpErrors.incrementAndGet();
                outcomes.put(targetId, new Outcome("FAILED", Instant.now()));
                return;
            }
            JsonNode jobs = JSON.readTree(response.body()).path("data");
            if (jobs.isEmpty()) {
                outcomes.put(targetId, new Outcome("NOT_FOUND", Instant.now()));
                return;
            }
            String status = jobs.get(0).path("status").asText();
            if (status.equals("DONE") || status.equals("ERROR")) {
                outcomes.put(targetId, new Outcome(status, Instant.now()));
                return;
            }
        } catch (IOException e) {
            httpErrors.incrementAndGet();
            outcomes.put(targetId, new Outcome("FAILED", Instant.now()));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (!stopped) {
            monitors.schedule(() -> poll(targetId, deadline), MONITOR_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void retryEveryFiveMinutes() {
        try {
            while (!stopped) {
                retryFailedJobs();
                Thread.sleep(LOOP_PAUSE.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void retryFailedJobs() throws InterruptedException {
        List<JsonNode> failed = new ArrayList<>();
        try {
            HttpResponse<String> response = get("/v1/jobs?type=ERROR");
            JSON.readTree(response.body()).path("data").forEach(failed::add);
        } catch (IOException e) {
            httpErrors.incrementAndGet();
            return;
        }
        for (JsonNode job : failed) {
            if (stopped) {
                return;
            }
            String target = job.path("targetId").asText();
            String path = switch (job.path("type").asText()) {
                case "EXTRACTION" -> "/v1/documents/" + target + "/reextract";
                case "EMBEDDING" -> "/v1/folders/" + target + "/reindex";
                default -> null;
            };
            if (path != null) {
                try {
                    Instant at = Instant.now();
                    http.send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build(),
                            HttpResponse.BodyHandlers.ofString());
                    retries.computeIfAbsent(target, t -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(at);
                } catch (IOException e) {
                    httpErrors.incrementAndGet();
                }
            }
            Thread.sleep(PAUSE_PER_JOB.toMillis());
        }
    }

    private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return http.send(request(pathAndQuery).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
                .header("Authorization", "Bearer " + apiKey)
                .timeout(Duration.ofSeconds(20));
    }

    @Override
    public void close() {
        stopped = true;
        retryLoop.interrupt();
        monitors.shutdownNow();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
