package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.Fault;
import devana.emulator.RecordedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;

/** Nothing lost, nothing twice, within the API's budget: faults of the bus, the API and the database. */
class ReliabilityTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(30);

    @Test
    void delivers_every_event_in_order_after_the_bus_was_down() throws Exception {
        try (EventSink sink = new EventSink()) {
            sink.down();
            List<String> jobs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                jobs.add(emulator.job().type("TRANSCRIPTION").status("PENDING").add());
            }
            startApp(Map.of("jobs.events.uri", sink.uri(), "jobs.events.backoff-max", "1500"));

            await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events") == 5 && sink.refused() >= 2);
            for (String id : jobs) {
                emulator.update(id, "IN_PROGRESS", 50);
            }
            await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events") == 10);
            for (String id : jobs) {
                emulator.update(id, "DONE", 100);
            }
            await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events") == 15);
            assertThat(sink.received()).isEmpty();
            assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL")).isEqualTo(15);

            sink.up();
            await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0);
            List<Map<String, Object>> outbox = app.rows("SELECT event_id, job_id FROM job_events ORDER BY seq");
            assertThat(new LinkedHashSet<>(sink.ids())).containsExactlyElementsOf(
                    outbox.stream().map(r -> (String) r.get("event_id")).toList());
            for (String job : jobs) {
                List<Object> types = sink.received().stream().filter(r -> job.equals(r.event().get("subject")))
                        .map(r -> r.event().get("type")).distinct().toList();
                assertThat(types).containsExactly("ai.devana.job.pending", "ai.devana.job.in_progress", "ai.devana.job.done");
            }
            assertThat(sink.received()).allSatisfy(r -> {
                assertThat(r.headers()).doesNotContainKey("Authorization");
                assertThat(r.headers().get("Content-type")).containsExactly("application/cloudevents+json");
            });
        }
    }

    @Test
    void drains_a_backlog_batch_after_batch_in_one_look_up_to_the_looks_cap() throws Exception {
        try (EventSink sink = new EventSink()) {
            sink.down();
            for (int i = 0; i < 12; i++) {
                emulator.job().type("SYNC").status("PENDING").add();
            }
            startApp(Map.of("jobs.events.uri", sink.uri(), "jobs.events.backoff-max", "1000",
                    "jobs.events.publish-interval", "4000", "jobs.events.batch-size", "5", "jobs.events.batches-per-look", "2"));
            await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events") == 12 && sink.refused() >= 1);

            sink.up();
            await().atMost(CYCLES).until(() -> !sink.received().isEmpty());
            // one look: its first batch came full, so it took the second at once (well within the 4 s between
            // looks), and stopped there: the cap is two batches
            await().atMost(Duration.ofSeconds(3)).until(() -> sink.received().size() == 10);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> sink.received().size() == 10);
            // the next look takes the rest
            await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0);
            assertThat(sink.ids()).containsExactlyElementsOf(app.rows("SELECT event_id FROM job_events ORDER BY seq")
                    .stream().map(r -> (String) r.get("event_id")).toList());
        }
    }

    @Test
    void keeps_a_share_of_the_budget_for_retries_and_the_rest_for_polls() throws Exception {
        startApp(Map.of("devana.rate-limit.per-minute", "10", "devana.rate-limit.retry-share-percent", "30"));
        // a storm of failures while the app runs (failures older than its start are looked up first)
        for (int i = 0; i < 8; i++) {
            emulator.job().type("EXTRACTION").target("cm4docStorm" + i).status("ERROR").add();
        }

        await().atMost(CYCLES).until(() -> emulator.retryRequests().size() == 3 && gets() >= 4
                && app.count("SELECT COUNT(*) FROM job_retries WHERE outcome = 'FAILED'") == 5);
        assertThat(app.rows("SELECT last_error FROM job_retries WHERE outcome = 'FAILED'"))
                .allSatisfy(r -> assertThat((String) r.get("last_error")).startsWith("not sent yet"));
        // a try the budget refused is given back: it neither counts nor lengthens the claim's backoff
        await().atMost(CYCLES).until(() -> app.rows("SELECT tries FROM job_retries WHERE outcome = 'FAILED'").stream()
                .allMatch(r -> Integer.valueOf(0).equals(r.get("tries"))));
        await().atMost(CYCLES).until(() -> gets() >= 7);
        Instant seventh = emulator.requests().stream().filter(r -> r.method().equals("GET")).skip(6).findFirst().orElseThrow().at();
        assertThat(emulator.requests()).filteredOn(r -> r.method().equals("GET") && r.at().isBefore(seventh.plusSeconds(5)))
                .as("polls stop at their share of 7 per minute").hasSize(7);
        assertThat(emulator.retryRequests()).hasSize(3);
        assertThat(emulator.requests()).noneMatch(r -> r.status() == 429);
    }

    @Test
    void backs_off_exponentially_on_server_errors_and_recovers_alone() throws Exception {
        emulator.injectFault("GET /v1/jobs", Fault.html(503), 3);
        emulator.job().type("SYNC").status("DONE").add();
        startApp(Map.of("devana.backoff.base", "3000"));

        await().atMost(Duration.ofSeconds(60)).until(() -> app.count("SELECT COUNT(*) FROM job_completions") == 1);
        List<Instant> at = emulator.requests().stream().map(RecordedRequest::at).toList();
        assertThat(emulator.requests()).extracting(RecordedRequest::status).startsWith(503, 503, 503, 200);
        assertThat(Duration.between(at.get(0), at.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        assertThat(Duration.between(at.get(1), at.get(2))).isGreaterThanOrEqualTo(Duration.ofMillis(3000));
        assertThat(Duration.between(at.get(2), at.get(3))).isGreaterThanOrEqualTo(Duration.ofMillis(6000));
        assertThat(app.counter("devana.api.failures", "status", "503")).isEqualTo(3);
    }

    @Test
    void stops_hammering_a_key_that_stopped_working_and_stays_up() throws Exception {
        emulator.job().type("IMPORT").status("PENDING").add();
        startApp();
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 1);

        emulator.setApiKey("rotated-key");
        Instant rotated = Instant.now();
        await().atMost(Duration.ofSeconds(40)).until(() -> app.counter("devana.api.failures", "status", "401") >= 3);
        long refusedWithinTwentySeconds = emulator.requests().stream()
                .filter(r -> r.status() == 401 && r.at().isBefore(rotated.plusSeconds(20))).count();
        assertThat(refusedWithinTwentySeconds).as("fewer than one request per 2 s poll interval").isLessThan(8);
        assertThat(app.context().getRouteController().getRouteStatus("poll-devana-jobs-every-interval").isStarted()).isTrue();
        assertThat(app.count("SELECT COUNT(*) FROM job_state")).isEqualTo(1);
    }

    @Test
    void skips_unreadable_jobs_and_absurd_values_without_poisoning_the_rest() throws Exception {
        String future = "2099-01-01T00:00:00.000Z";
        String page = "{\"success\":true,\"data\":["
                + "{\"status\":\"DONE\",\"type\":\"EXTRACTION\"},"
                + "\"not a job\","
                + "{\"id\":\"cm4jobok\",\"targetId\":\"cm4docok\",\"type\":\"EXTRACTION\",\"status\":\"DONE\",\"progress\":100,"
                + "\"createdAt\":\"2026-01-01T00:00:00.000Z\",\"updatedAt\":\"2026-01-01T00:00:00.000Z\"},"
                + "{\"id\":\"cm4jobabsurd\",\"targetId\":\"cm4docab\",\"type\":\"GENERATION\",\"status\":\"IN_PROGRESS\",\"progress\":500,"
                + "\"createdAt\":\"" + future + "\",\"updatedAt\":\"" + future + "\"},"
                + "{\"id\":\"cm4jobpaused\",\"targetId\":\"cm4docpa\",\"type\":\"SYNC\",\"status\":\"PAUSED\"}"
                + "]}";
        emulator.injectFault("GET /v1/jobs", new Fault(200, "application/json", page, Map.of(), null), 1);
        String huge = "{\"success\":true,\"data\":[" + "{\"id\":\"x\"},".repeat(1_000_000) + "{\"id\":\"y\"}]}";
        emulator.injectFault("GET /v1/jobs", new Fault(200, "application/json", huge, Map.of(), null), 1);
        String real = emulator.job().type("EMBEDDING").status("DONE").add();
        startApp();

        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", real) == 1);
        assertThat(app.rows("SELECT job_id, status, progress FROM job_state ORDER BY job_id"))
                .extracting(r -> r.get("job_id") + ":" + r.get("status") + ":" + r.get("progress"))
                .contains("cm4jobok:DONE:100", "cm4jobabsurd:IN_PROGRESS:null", "cm4jobpaused:PAUSED:null");
        assertThat(app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = 'cm4jobok'")).isEqualTo(1);
        assertThat(app.counter("devana.jobs.invalid", "reason", "unreadable")).isEqualTo(2);
        assertThat(app.counter("devana.jobs.invalid", "reason", "progress")).isEqualTo(1);
        assertThat(app.counter("devana.jobs.other", "kind", "status")).isEqualTo(1);
        assertThat(app.counter("devana.cycle.failures", "kind", "malformed-page")).isEqualTo(1);
    }

    @Test
    void fails_cycles_cleanly_while_the_database_is_unreachable_and_catches_up_alone() throws Exception {
        Server database = Server.createTcpServer("-tcpPort", "0", "-tcpAllowOthers", "-ifNotExists",
                "-baseDir", dataDir.toString()).start();
        int port = database.getPort();
        String job = emulator.job().type("GENERATION").status("IN_PROGRESS").progress(10).add();
        LogCapture log = new LogCapture();
        startApp(Map.of("jobs.db.url", "jdbc:h2:tcp://127.0.0.1:" + port + "/devana-jobs"));
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 1);
        // the first event out and marked published before the outage: a database stopped between the bus
        // taking an event and its UPDATE published_at sends it again (at-least-once, same id), a race
        // this test is not about
        await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0
                && app.receivedEvents().size() == 1);

        database.stop();
        emulator.update(job, "DONE", 100);
        await().atMost(CYCLES).until(() -> app.counter("devana.cycle.failures", "kind", "database") >= 2);
        log.close();
        assertThat(log.text()).as("one line a minute for the repeating failure, no stack trace").doesNotContain("\tat ");
        assertThat(log.count("cycle abandoned (poll-devana-jobs-every-interval): database unavailable")).isEqualTo(1);
        database = Server.createTcpServer("-tcpPort", String.valueOf(port), "-tcpAllowOthers", "-ifNotExists",
                "-baseDir", dataDir.toString()).start();
        try {
            await().atMost(CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", job) == 1);
            await().atMost(CYCLES).until(() -> app.receivedEvents().stream().anyMatch(e -> "ai.devana.job.done".equals(e.get("type"))));
            assertThat(app.receivedEvents()).extracting(e -> e.get("type"))
                    .containsExactly("ai.devana.job.in_progress", "ai.devana.job.done");
        } finally {
            app.close();
            app = null;
            database.stop();
        }
    }

    private long gets() {
        return emulator.requests().stream().filter(r -> r.method().equals("GET")).count();
    }

    static String idsOf(List<Map<String, Object>> rows) {
        return rows.stream().map(r -> String.valueOf(r.get("event_id"))).collect(Collectors.joining(","));
    }
}
