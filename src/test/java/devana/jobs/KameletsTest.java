package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.emulator.DevanaEmulator;
import devana.emulator.Fault;
import devana.emulator.RetryOutcome;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kamelets of kamelets/ run as a Camel JBang or Camel K user runs them: a YAML route of the user's that names
 * {@code kamelet:devana-jobs-source} or {@code kamelet:devana-jobs-retry-action} with parameters, in a Camel Main of
 * its own (not the app), the Kamelets read from the folder; against the emulator over real HTTP and a real H2 file.
 */
class KameletsTest {

    private static final Duration TICKS = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final EmulatorExtension emulated = EmulatorExtension.forTheApp();

    @TempDir
    Path dir;

    private DevanaEmulator emulator;
    private Main camel;

    @BeforeEach
    void takeTheEmulator() {
        emulator = emulated.emulator();
        // a key as keys come: characters a URI query would take apart ('+', '&', '%'), given with RAW() as the docs say
        emulator.setApiKey("dvn+key&part=2%41z");
    }

    @AfterEach
    void stopTheRoutes() throws InterruptedException {
        stop();
    }

    @Test
    void the_source_announces_each_change_once_and_retries_a_failed_extraction() throws Exception {
        String pending = emulator.job().type("SYNC").status("PENDING").add();
        String done = emulator.job().type("EMBEDDING").status("DONE").progress(100).add();
        String failed = emulator.job().type("EXTRACTION").target("cm4docKamelet01").status("ERROR").error("OCR failed").add();
        start(sourceRoute());

        // pending, done, error, then the retry's decision once the POST was accepted, and the job the retry made
        await().atMost(TICKS).until(() -> emulator.retryRequests().size() == 1);
        String retryJob = emulator.retryRequests().get(0).newJobId();
        await().atMost(TICKS).until(() -> subjects().contains(retryJob) && types().contains("ai.devana.job.retry.requested"));
        assertThat(subjectsAndTypes()).containsExactlyInAnyOrder(
                pending + " ai.devana.job.pending", done + " ai.devana.job.done", failed + " ai.devana.job.error",
                failed + " ai.devana.job.retry.requested", retryJob + " ai.devana.job.pending");
        assertThat(emulator.retryRequests()).extracting(r -> r.kind() + " " + r.targetId())
                .containsExactly("reextract cm4docKamelet01");
        EventContract.assertHonouredBy(texts());
        Exchange first = events().getReceivedExchanges().get(0);
        Map<String, Object> event = JSON.readValue(first.getMessage().getBody(String.class), Map.class);
        assertThat(first.getMessage().getHeaders()).containsEntry("eventId", event.get("id"))
                .containsEntry("eventType", event.get("type"))
                .containsEntry(Exchange.CONTENT_TYPE, "application/cloudevents+json")
                .doesNotContainKeys("Authorization", "CamelHttpResponseCode");
        assertThat(event).containsEntry("source", emulator.baseUrl() + "/v1/jobs").containsEntry("account", "default");

        // a change: one event more, and nothing said twice, even by a new process on the same database
        emulator.update(pending, "IN_PROGRESS", 30);
        await().atMost(TICKS).until(() -> events().getReceivedCounter() == 6);
        List<String> before = ids();
        stop();
        emulator.update(pending, "DONE", 100);
        start(sourceRoute());
        await().atMost(TICKS).until(() -> types().contains("ai.devana.job.done") && subjects().contains(pending));
        long polls = getJobs();
        await().atMost(TICKS).until(() -> getJobs() >= polls + 2);
        assertThat(subjectsAndTypes()).containsExactly(pending + " ai.devana.job.done");
        assertThat(ids()).doesNotContainAnyElementsOf(before);
        assertThat(emulator.retryRequests()).hasSize(1);
    }

    @Test
    void an_event_the_sink_refuses_waits_in_the_database_and_goes_first_when_it_is_taken() throws Exception {
        String one = emulator.job().type("SYNC").status("PENDING").add();
        String two = emulator.job().type("IMPORT").status("IN_PROGRESS").progress(10).add();
        AtomicReference<Boolean> refuse = new AtomicReference<>(true);
        start(sourceRoute(), main -> main.bind("refusingSink", (org.apache.camel.Processor) exchange -> {
            if (refuse.get()) {
                throw new IllegalStateException("the sink is down");
            }
        }), "      - process:\n          ref: refusingSink\n");
        long polls = getJobs();
        await().atMost(TICKS).until(() -> getJobs() >= polls + 2);
        assertThat(events().getReceivedCounter()).isZero();

        // taken at last: each event once, in the order they were written (the newest page lists the newest job first)
        refuse.set(false);
        await().atMost(TICKS).until(() -> events().getReceivedCounter() == 2);
        assertThat(subjects()).containsExactly(two, one);
        long more = getJobs();
        await().atMost(TICKS).until(() -> getJobs() >= more + 2);
        assertThat(events().getReceivedCounter()).isEqualTo(2);
    }

    @Test
    void an_event_the_users_route_stops_counts_as_taken_and_the_events_after_it_go_on() throws Exception {
        String dropped = emulator.job().type("SYNC").status("PENDING").add();
        String kept = emulator.job().type("IMPORT").status("PENDING").add();
        // the user's steps drop one job's events with stop, after mock:events saw them
        Files.writeString(dir.resolve("my-route.camel.yaml"), sourceRoute() + "      - to:\n          uri: mock:events\n"
                + "      - filter:\n          simple: \"${header.jobId} == '" + dropped + "'\"\n          steps:\n"
                + "            - stop: {}\n      - to:\n          uri: mock:after\n");
        startWritten();
        await().atMost(TICKS).until(() -> subjects().containsAll(List.of(dropped, kept)));
        long polls = getJobs();
        await().atMost(TICKS).until(() -> getJobs() >= polls + 2);
        assertThat(subjects()).containsExactlyInAnyOrder(dropped, kept);
        assertThat(camel.getCamelContext().getEndpoint("mock:after", MockEndpoint.class).getReceivedCounter()).isEqualTo(1);
    }

    @Test
    void the_retry_action_asks_once_per_failed_job_and_passes_the_event_on_with_its_outcome() throws Exception {
        emulator.setRetryOutcome((target, type) -> RetryOutcome.STAY_PENDING);
        String failed = emulator.job().type("EMBEDDING").target("cm4folderAction1").status("ERROR").add();
        start(actionRoute());
        String event = errorEvent(emulator.jobJson(failed));

        Exchange out = send(event);
        assertThat(out.getMessage().getBody(String.class)).isEqualTo(event);
        assertThat(out.getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "REQUESTED")
                .containsEntry("devanaRetryAttempt", 1).containsEntry("ce-note", "kept")
                .doesNotContainKeys("retryDecision", "jobId", "CamelHttpResponseCode");
        assertThat(emulator.retryRequests()).extracting(r -> r.kind() + " " + r.targetId())
                .containsExactly("reindex cm4folderAction1");

        // the same event again (a redelivery, another consumer; as bytes, as a stream): decided already, nothing sent
        assertThat(send(event).getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "REQUESTED");
        assertThat(send(event.getBytes(StandardCharsets.UTF_8)).getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "REQUESTED");
        assertThat(send(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8))).getMessage().getHeaders())
                .containsEntry("devanaRetryOutcome", "REQUESTED");
        assertThat(emulator.retryRequests()).hasSize(1);

        // not a failed job's event: passed on, nothing sent
        Map<String, Object> running = new LinkedHashMap<>(emulator.jobJson(failed));
        running.put("status", "IN_PROGRESS");
        assertThat(send(errorEvent(running).replace("ai.devana.job.error", "ai.devana.job.in_progress"))
                .getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "NONE");
        assertThat(send("not json at all").getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "NONE");
        String bulky = errorEvent(emulator.jobJson(failed)).replace("\"data\":{", "\"padding\":\"" + "x".repeat(2 * 1024 * 1024)
                + "\",\"data\":{").replace("test-", "bulky-");
        assertThat(send(bulky).getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "NONE");
        assertThat(emulator.retryRequests()).hasSize(1);
    }

    @Test
    void the_retry_action_never_puts_a_hostile_target_in_a_url_and_sends_a_refused_retry_again_after_its_backoff()
            throws Exception {
        start(actionRoute());
        Map<String, Object> forged = new LinkedHashMap<>(emulator.jobJson(
                emulator.job().type("EXTRACTION").target("cm4docGood00001").status("ERROR").add()));
        forged.put("id", "cm4jobForged0001");
        forged.put("targetId", "../../v1/admin?x=");
        assertThat(send(errorEvent(forged)).getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "REJECTED");
        assertThat(emulator.retryRequests()).isEmpty();

        String failed = emulator.job().type("EXTRACTION").target("cm4docBusy00001").status("ERROR").add();
        emulator.injectFault("POST /v1/documents", Fault.status(503), 1);
        String event = errorEvent(emulator.jobJson(failed));
        assertThat(send(event).getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "FAILED")
                .containsEntry("devanaRetryAttempt", 1);
        assertThat(emulator.retryRequests()).isEmpty();
        // the same failure comes again: once its backoff has passed, the claimed retry is sent, the attempt unchanged
        await().atMost(TICKS).pollInterval(Duration.ofMillis(500)).until(() ->
                "REQUESTED".equals(send(event).getMessage().getHeader("devanaRetryOutcome")));
        assertThat(emulator.retryRequests()).extracting(r -> r.targetId()).containsExactly("cm4docBusy00001");
    }

    @Test
    void the_retry_action_decides_nothing_on_a_failure_the_api_does_not_show() throws Exception {
        start(actionRoute());
        String real = emulator.job().type("EXTRACTION").target("cm4docReal00001").status("ERROR").add();
        Map<String, Object> made = new LinkedHashMap<>(emulator.jobJson(real));
        made.put("id", "cm4jobMadeUp00001");
        Map<String, Object> otherTarget = new LinkedHashMap<>(emulator.jobJson(real));
        otherTarget.put("targetId", "cm4docVictim0001");

        assertThat(send(errorEvent(made)).getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "NOT_FAILED");
        assertThat(send(errorEvent(otherTarget)).getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "NOT_FAILED");
        assertThat(emulator.retryRequests()).isEmpty();
        // the real one, as the API shows it
        assertThat(send(errorEvent(emulator.jobJson(real))).getMessage().getHeaders()).containsEntry("devanaRetryOutcome", "REQUESTED");
        assertThat(emulator.retryRequests()).extracting(r -> r.targetId()).containsExactly("cm4docReal00001");
    }

    @Test
    void an_api_answer_slower_than_the_response_timeout_fails_the_cycle_and_the_next_goes_on() throws Exception {
        String job = emulator.job().type("SYNC").status("PENDING").add();
        emulator.injectFault("GET /v1/jobs", Fault.slow(Duration.ofSeconds(5)), 1);
        start(sourceRoute().replace("pollInterval: 2000", "pollInterval: 2000\n        responseTimeout: 1000"));
        await().atMost(TICKS).until(() -> subjects().contains(job));
        assertThat(emulator.requests()).filteredOn(r -> "/v1/jobs".equals(r.path())).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void a_route_that_did_not_start_leaves_nothing_that_the_corrected_one_meets() throws Exception {
        // the source opens its account, then the user's other route, an action with a parameter out of bounds, fails
        Files.writeString(dir.resolve("my-route.camel.yaml"), sourceRoute() + "      - to:\n          uri: mock:events\n"
                + actionRoute().replace("id: my-retries", "id: my-broken-retries")
                        .replace("apiKey: \"RAW({{devana.key}})\"", "apiKey: \"RAW({{devana.key}})\"\n              maxAttempts: 101")
                        .replace("/action", "/kamelets"));
        assertThat(startupFailure(this::startWritten)).contains("parameter maxAttempts");
        // corrected, with a new key, in the same JVM and on the same database
        emulator.setApiKey("dvn-rotated-key-2");
        start(sourceRoute().replace("RAW({{devana.key}})", "dvn-rotated-key-2"));
        String job = emulator.job().type("SYNC").status("PENDING").add();
        await().atMost(TICKS).until(() -> subjects().contains(job));
    }

    @Test
    void a_parameter_out_of_bounds_stops_the_route_with_the_parameter_named() throws Exception {
        String failure = startupFailure(sourceRoute().replace("pollInterval: 2000", "pollInterval: 500"));
        assertThat(failure).contains("devana-jobs-source").contains("parameter pollInterval").contains("2000")
                .doesNotContain("DEVANA_POLL_INTERVAL").doesNotContain(emulator.apiKey());
    }

    // --- the user's routes

    private String sourceRoute() {
        return """
                - route:
                    id: my-devana-events
                    from:
                      uri: kamelet:devana-jobs-source
                      parameters:
                        baseUrl: %s
                        apiKey: "RAW({{devana.key}})"
                        pollInterval: 2000
                        databaseUrl: "jdbc:h2:file:%s;LOCK_TIMEOUT=10000"
                      steps:
                """.formatted(emulator.baseUrl(), dir.resolve("kamelets").toAbsolutePath());
    }

    private String actionRoute() {
        return """
                - route:
                    id: my-retries
                    from:
                      uri: direct:failures
                      steps:
                        - to:
                            uri: kamelet:devana-jobs-retry-action
                            parameters:
                              baseUrl: %s
                              apiKey: "RAW({{devana.key}})"
                              databaseUrl: "jdbc:h2:file:%s"
                """.formatted(emulator.baseUrl(), dir.resolve("action").toAbsolutePath());
    }

    private void start(String route) throws Exception {
        start(route, main -> { }, "");
    }

    /** The user's route, its steps ended by {@code extraSteps} then mock:events, in a Camel Main of its own. */
    private void start(String route, java.util.function.Consumer<Main> beans, String extraSteps) throws Exception {
        String steps = route.contains("kamelet:devana-jobs-source") ? extraSteps + "      - to:\n          uri: mock:events\n" : "";
        Files.writeString(dir.resolve("my-route.camel.yaml"), route + steps);
        startWritten(beans);
    }

    private void startWritten() throws Exception {
        startWritten(main -> { });
    }

    /** The route file as written, in a Camel Main of its own. */
    private void startWritten(java.util.function.Consumer<Main> beans) throws Exception {
        Path file = dir.resolve("my-route.camel.yaml");
        // the user's own application.properties (the app's, on this class path, is not theirs); the key as a Camel JBang
        // user gives it: a property placeholder, from the environment or a secret
        Path properties = dir.resolve("application.properties");
        Files.writeString(properties, "camel.main.routes-include-pattern=file:" + file.toAbsolutePath() + "\n"
                + "camel.component.kamelet.location=file:" + Path.of("kamelets").toAbsolutePath() + "\n");
        camel = new Main();
        camel.setDefaultPropertyPlaceholderLocation("file:" + properties.toAbsolutePath());
        camel.addInitialProperty("devana.key", emulator.apiKey());
        beans.accept(camel);
        RunningApp.Launch launch = RunningApp.launch(camel, "kamelet-user");
        if (launch.failure().get() != null) {
            throw new IllegalStateException("the route did not start", launch.failure().get());
        }
    }

    private String startupFailure(String route) throws Exception {
        return startupFailure(() -> start(route));
    }

    /** Why the user's route did not start: every message of the failure and its causes; null if it started. */
    private String startupFailure(Starting starting) throws Exception {
        try {
            starting.start();
            return null;
        } catch (IllegalStateException e) {
            StringBuilder messages = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                messages.append(t.getMessage()).append('\n');
            }
            return messages.toString();
        }
    }

    private interface Starting {
        void start() throws Exception;
    }

    private void stop() throws InterruptedException {
        if (camel != null) {
            camel.completed();
            CamelContext context = camel.getCamelContext();
            await().atMost(Duration.ofSeconds(30)).until(() -> context == null || context.isStopped());
            camel = null;
        }
    }

    private Exchange send(Object body) {
        ProducerTemplate template = camel.getCamelContext().createProducerTemplate();
        return template.request("direct:failures", exchange -> {
            exchange.getMessage().setBody(body);
            exchange.getMessage().setHeader("ce-note", "kept");
        });
    }

    /** A failed job's CloudEvent as the app or the source publishes it (the fields the action reads, and the data). */
    private static String errorEvent(Map<String, Object> job) throws Exception {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("specversion", "1.0");
        event.put("id", "test-" + job.get("id"));
        event.put("source", "https://api.devana.ai/v1/jobs");
        event.put("type", "ai.devana.job.error");
        event.put("subject", job.get("id"));
        event.put("datacontenttype", "application/json");
        event.put("data", job);
        return JSON.writeValueAsString(event);
    }

    private MockEndpoint events() {
        return camel.getCamelContext().getEndpoint("mock:events", MockEndpoint.class);
    }

    private List<String> texts() {
        List<String> texts = new ArrayList<>();
        for (Exchange exchange : new ArrayList<>(events().getReceivedExchanges())) {
            texts.add(exchange.getMessage().getBody(String.class));
        }
        return texts;
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> parsed() throws Exception {
        List<Map<String, Object>> events = new ArrayList<>();
        for (String text : texts()) {
            events.add(JSON.readValue(text, Map.class));
        }
        return events;
    }

    private List<String> field(String name) throws Exception {
        return parsed().stream().map(e -> String.valueOf(e.get(name))).toList();
    }

    private List<String> types() throws Exception {
        return field("type");
    }

    private List<String> subjects() throws Exception {
        return field("subject");
    }

    private List<String> ids() throws Exception {
        return field("id");
    }

    private List<String> subjectsAndTypes() throws Exception {
        return parsed().stream().map(e -> e.get("subject") + " " + e.get("type")).toList();
    }

    private long getJobs() {
        return emulator.requests().stream().filter(r -> "GET".equals(r.method()) && "/v1/jobs".equals(r.path())).count();
    }
}
