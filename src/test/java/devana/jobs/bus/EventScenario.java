package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.EmulatorExtension;
import devana.jobs.Http;
import devana.jobs.Json;
import devana.jobs.RunningApp;
import devana.jobs.config.Locations;
import devana.jobs.events.EventsCommand;
import devana.emulator.DevanaEmulator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * What every bus test does: three jobs of three types whose transitions the test drives through the
 * emulator (an extraction that runs and finishes, an embedding that fails and is retried, a sync that
 * starts), the app publishing to the bus under test, and the checks against the outbox: every event
 * arrives, once, with its id and type, and each job's events in the order of the outbox.
 */
final class EventScenario implements AutoCloseable {

    static final Duration CYCLES = Duration.ofSeconds(30);

    /** A name no other test run on this machine uses (the brokers on loopback are shared). */
    final String run = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    final DevanaEmulator emulator;
    final List<Delivered> received = new CopyOnWriteArrayList<>();
    private final Path dataDir;
    private RunningApp app;
    private Map<String, String> appSettings = Map.of();
    private OpenTelemetrySdk traces;
    String extraction;
    String embedding;
    String sync;

    EventScenario(Path dataDir) {
        this.dataDir = dataDir;
        this.emulator = EmulatorExtension.startForTheApp();
    }

    /** The app with the test settings, the events going to the given endpoint URI, plus any extra settings. */
    RunningApp startApp(String eventsUri, Map<String, String> extra) {
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("jobs.events.uri", eventsUri);
        settings.putAll(extra);
        Map<String, Object> beans = new LinkedHashMap<>();
        if (traces != null) {
            settings.put("camel.opentelemetry2.enabled", "true");
            beans.put("openTelemetry", traces);
        }
        app = RunningApp.start(settings, beans);
        appSettings = Map.copyOf(settings);
        return app;
    }

    /**
     * Runs {@code bin/devana-jobs events ARGS} as an operator would, on the running app's database and settings;
     * returns its exit code and what it printed.
     */
    Command events(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EventsCommand.run(args, Locations.properties(), appSettings, new PrintStream(out, true),
                new PrintStream(err, true), Clock.systemUTC());
        return new Command(code, out.toString(), err.toString());
    }

    /** What a command said. */
    record Command(int exitCode, String out, String err) {
    }

    RunningApp app() {
        return app;
    }

    void stopApp() throws InterruptedException {
        if (app != null) {
            app.close();
            app = null;
        }
    }

    /**
     * {@link #drive} with traces on (camel.opentelemetry2.enabled, the spans kept in memory): every event then carries
     * its job change's traceparent as the bus carries headers ({@link #assertEachCarriesItsChangesTrace}).
     */
    void driveTraced(String eventsUri, Map<String, String> extra) throws SQLException {
        traces = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create())).build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        drive(eventsUri, extra);
    }

    /**
     * Each event came with a W3C traceparent, that of its job change: one trace per change, the failure's retry decision
     * in the failure's trace.
     */
    static void assertEachCarriesItsChangesTrace(List<Delivered> received) {
        Map<String, String> traceOf = new LinkedHashMap<>();
        for (Delivered delivered : received) {
            String traceparent = delivered.headers().get("traceparent");
            assertThat(traceparent).as("the traceparent of %s %s", delivered.type(), delivered.subject())
                    .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]");
            traceOf.put(delivered.id(), traceparent.substring(3, 35));
        }
        long changes = received.stream().filter(d -> !d.type().startsWith("ai.devana.job.retry.")).count();
        assertThat(new java.util.HashSet<>(traceOf.values())).as("one trace per change").hasSize((int) changes);
        for (Delivered decision : received.stream().filter(d -> d.type().startsWith("ai.devana.job.retry.")).toList()) {
            Delivered failure = received.stream().filter(d -> d.subject().equals(decision.subject())
                    && d.type().equals("ai.devana.job.error")).findFirst().orElseThrow();
            assertThat(traceOf.get(decision.id())).as("the retry decision in its failure's trace").isEqualTo(traceOf.get(failure.id()));
        }
    }

    /** Adds the jobs, then moves them through their transitions one poll at a time; returns when all are in the outbox. */
    void drive(String eventsUri, Map<String, String> extra) throws SQLException {
        addJobs();
        startApp(eventsUri, extra);
        driveTransitions();
    }

    void addJobs() {
        extraction = emulator.job().type("EXTRACTION").target("cm4docBus" + run).status("PENDING").add();
        embedding = emulator.job().type("EMBEDDING").target("cm4folderBus" + run).status("IN_PROGRESS").progress(10).add();
        sync = emulator.job().type("SYNC").target("cm4srcBus" + run).status("PENDING").add();
    }

    void driveTransitions() throws SQLException {
        awaitOutbox(extraction, 1);
        awaitOutbox(embedding, 1);
        awaitOutbox(sync, 1);
        emulator.update(extraction, "IN_PROGRESS", 50);
        emulator.fail(embedding, "model timeout");
        awaitOutbox(extraction, 2);
        awaitOutbox(embedding, 3);
        emulator.update(extraction, "DONE", 100);
        emulator.update(sync, "IN_PROGRESS", 30);
        awaitOutbox(extraction, 3);
        awaitOutbox(sync, 2);
    }

    void awaitOutbox(String jobId, int events) {
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE job_id = ?", jobId) >= events);
    }

    /**
     * Waits until every event of the outbox was published and received. The two lists returned are
     * read in that order (received first), so each is the whole of the other at one moment.
     */
    Delivery awaitAllDelivered() {
        AtomicReference<Delivery> delivery = new AtomicReference<>();
        await().atMost(CYCLES).until(() -> {
            List<Delivered> got = List.copyOf(received);
            List<OutboxEvent> outbox = outbox();
            Set<String> ids = got.stream().map(Delivered::id).collect(Collectors.toSet());
            delivery.set(new Delivery(outbox, got));
            return app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0
                    && outbox.stream().allMatch(event -> ids.contains(event.id()));
        });
        return delivery.get();
    }

    List<OutboxEvent> outbox() throws SQLException {
        List<OutboxEvent> events = new ArrayList<>();
        for (Map<String, Object> row : app.rows("SELECT seq, event_id, event_type, job_id, job_type, target_id FROM job_events ORDER BY seq")) {
            events.add(new OutboxEvent(((Number) row.get("seq")).longValue(), (String) row.get("event_id"),
                    (String) row.get("event_type"), (String) row.get("job_id"), (String) row.get("job_type"),
                    (String) row.get("target_id")));
        }
        return events;
    }

    /**
     * The checks every bus passes: the events received are exactly the outbox's (ids unique), each with
     * the type and subject the outbox recorded, and each job's events arrived in outbox (seq) order.
     */
    static void assertDeliveredExactlyTheOutbox(List<OutboxEvent> outbox, List<Delivered> received) {
        assertThat(received).extracting(Delivered::id).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(outbox.stream().map(OutboxEvent::id).toList());
        Map<String, OutboxEvent> byId = new LinkedHashMap<>();
        outbox.forEach(event -> byId.put(event.id(), event));
        assertThat(received).allSatisfy(delivered -> {
            OutboxEvent recorded = byId.get(delivered.id());
            assertThat(delivered.type()).isEqualTo(recorded.type());
            assertThat(delivered.subject()).isEqualTo(recorded.jobId());
            assertThat(delivered.jobType()).isEqualTo(recorded.jobType());
            assertThat(delivered.event()).containsEntry("specversion", "1.0").containsKeys("source", "time", "data");
        });
        Map<String, List<String>> receivedPerJob = new LinkedHashMap<>();
        received.forEach(d -> receivedPerJob.computeIfAbsent(d.subject(), job -> new ArrayList<>()).add(d.id()));
        Map<String, List<String>> outboxPerJob = new LinkedHashMap<>();
        outbox.forEach(e -> outboxPerJob.computeIfAbsent(e.jobId(), job -> new ArrayList<>()).add(e.id()));
        assertThat(receivedPerJob).as("each job's events in outbox order").isEqualTo(outboxPerJob);
    }

    /** The types the scenario's transitions must have produced, so a test cannot pass on an empty outbox. */
    void assertTheScenarioHappened(List<OutboxEvent> outbox) {
        assertThat(outbox).filteredOn(e -> e.jobId().equals(extraction)).extracting(OutboxEvent::type)
                .containsExactly("ai.devana.job.pending", "ai.devana.job.in_progress", "ai.devana.job.done");
        assertThat(outbox).filteredOn(e -> e.jobId().equals(embedding)).extracting(OutboxEvent::type)
                .containsExactly("ai.devana.job.in_progress", "ai.devana.job.error", "ai.devana.job.retry.requested");
        assertThat(outbox).filteredOn(e -> e.jobId().equals(sync)).extracting(OutboxEvent::type)
                .containsExactly("ai.devana.job.pending", "ai.devana.job.in_progress");
    }

    /** An event's metadata this large makes it about 12 kB: over what a bus under test takes ({@link #REFUSED_ABOVE_BYTES}). */
    static Map<String, Object> bulkyMetadata() {
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (String key : List.of("pages", "summary", "notes")) {
            metadata.put(key, key.charAt(0) + "x".repeat(3999));
        }
        return metadata;
    }

    /** What a bus under test is set to refuse: over it, the bulky job's event; under it by far, every other one. */
    static final int REFUSED_ABOVE_BYTES = 8000;

    /**
     * The parking scenario: a small job, then a bulky one whose event the bus refuses for good (too large for it),
     * then a small one behind it. Returns when the bulky event is parked; the caller checks what came through.
     */
    Parking driveParking(String eventsUri, Map<String, String> extra) {
        String before = emulator.job().type("EXTRACTION").target("cm4smallBus" + run).status("PENDING").add();
        String bulky = emulator.job().type("EMBEDDING").target("cm4bulkyBus" + run).status("PENDING")
                .metadata(bulkyMetadata()).add();
        Map<String, String> settings = new LinkedHashMap<>(extra);
        settings.put("jobs.events.backoff-max", "1000");
        startApp(eventsUri, settings);
        awaitOutbox(before, 1);
        awaitOutbox(bulky, 1);
        String behind = emulator.job().type("SYNC").target("cm4behindBus" + run).status("PENDING").add();
        awaitOutbox(behind, 1);
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE job_id = ? AND parked_at IS NOT NULL", bulky) == 1);
        return new Parking(before, bulky, behind);
    }

    /** The jobs of the parking scenario. */
    record Parking(String before, String bulky, String behind) {
    }

    /**
     * The checks every bus passes in the parking scenario: the bulky event parked after the default three refusals,
     * with the bus's reason; every other event published, once and in order; the parked one shown by the gauge,
     * readiness (still UP) and /api/events/parked.
     */
    void assertParkedAlone(Parking parking, String reasonSays) throws SQLException {
        Delivery delivery = awaitAllButParkedDelivered();
        Map<String, Object> parked = app.rows("SELECT event_id, refusals, park_reason, published_at FROM job_events WHERE job_id = ?",
                parking.bulky()).get(0);
        assertThat(parked.get("refusals")).as("refused three times, then parked").isEqualTo(3);
        assertThat(parked.get("published_at")).isNull();
        assertThat((String) parked.get("park_reason")).contains(reasonSays);
        String parkedId = (String) parked.get("event_id");
        List<OutboxEvent> others = delivery.outbox().stream().filter(e -> !e.id().equals(parkedId)).toList();
        assertThat(others).extracting(OutboxEvent::jobId).contains(parking.before(), parking.behind());
        assertDeliveredExactlyTheOutbox(others, delivery.received());
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE parked_at IS NOT NULL")).as("nothing else parked").isEqualTo(1);

        await().atMost(CYCLES).untilAsserted(() -> {
            Map<String, Object> ready = Json.read(Http.get(app.url("/observe/health/ready?data=true")).body());
            assertThat(ready).containsEntry("status", "UP");
            assertThat(ready.toString()).contains("events.parked=1");
            assertThat(Http.get(app.url("/observe/metrics")).body()).containsPattern("(?m)^devana_events_parked 1\\.0$");
        });
        Map<String, Object> list = Json.read(Http.get(app.url("/api/events/parked")).body());
        assertThat(list).containsEntry("total", 1);
        assertThat(list.get("events").toString()).contains(parkedId, reasonSays);
    }

    /** Waits until every event but the parked ones was published and received (as {@link #awaitAllDelivered}). */
    Delivery awaitAllButParkedDelivered() {
        AtomicReference<Delivery> delivery = new AtomicReference<>();
        await().atMost(CYCLES).until(() -> {
            List<Delivered> got = List.copyOf(received);
            List<OutboxEvent> outbox = outbox();
            Set<String> parked = app.rows("SELECT event_id FROM job_events WHERE parked_at IS NOT NULL").stream()
                    .map(row -> (String) row.get("event_id")).collect(Collectors.toSet());
            Set<String> ids = got.stream().map(Delivered::id).collect(Collectors.toSet());
            delivery.set(new Delivery(outbox, got));
            return app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL AND parked_at IS NULL") == 0
                    && outbox.stream().filter(event -> !parked.contains(event.id())).allMatch(event -> ids.contains(event.id()));
        });
        return delivery.get();
    }

    @Override
    public void close() throws InterruptedException {
        stopApp();
        emulator.close();
        if (traces != null) {
            traces.close();
        }
    }

    record Delivery(List<OutboxEvent> outbox, List<Delivered> received) {
    }

    record OutboxEvent(long seq, String id, String type, String jobId, String jobType, String targetId) {
    }
}
