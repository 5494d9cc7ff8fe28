package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.EmulatorExtension;
import devana.jobs.RunningApp;
import devana.emulator.DevanaEmulator;
import java.nio.file.Path;
import java.sql.SQLException;
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
        app = RunningApp.start(settings);
        return app;
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

    @Override
    public void close() throws InterruptedException {
        stopApp();
        emulator.close();
    }

    record Delivery(List<OutboxEvent> outbox, List<Delivered> received) {
    }

    record OutboxEvent(long seq, String id, String type, String jobId, String jobType, String targetId) {
    }
}
