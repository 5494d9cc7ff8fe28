package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.emulator.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,100 visible jobs, 100 of them active (5 older than the newest page), transitions every second:
 * each is seen within two poll intervals, and polling stays under half of the API's 100 requests/min.
 */
class IncrementalPollingTest {

    private static final Duration INTERVAL = Duration.ofSeconds(2);

    @TempDir
    Path dataDir;

    private DevanaEmulator emulator;
    private RunningApp app;
    private ScheduledExecutorService driver;

    @AfterEach
    void stopAll() throws Exception {
        if (driver != null) {
            driver.shutdownNow();
        }
        if (app != null) {
            app.close();
        }
        emulator.close();
    }

    @Test
    void sees_every_transition_within_two_intervals_using_less_than_half_the_budget() throws Exception {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
        Instant now = Instant.now();
        for (int i = 0; i < 1000; i++) {
            emulator.job().type(i % 2 == 0 ? "EXTRACTION" : "GENERATION").status("DONE").progress(100)
                    .createdAt(now.minus(Duration.ofHours(20)).plusSeconds(i * 60L)).add();
        }
        List<String> active = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            active.add(emulator.job().type("SYNC").status("IN_PROGRESS").progress(10)
                    .createdAt(now.minus(Duration.ofHours(3)).plusSeconds(i)).add());
        }
        for (int i = 0; i < 95; i++) {
            active.add(emulator.job().type("IMPORT").status("IN_PROGRESS").progress(10)
                    .createdAt(now.minus(Duration.ofMinutes(10)).plusSeconds(i)).add());
        }
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("devana.retry.max-attempts", "0");
        app = RunningApp.start(settings);
        await().atMost(Duration.ofSeconds(60)).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 1100);

        List<Transition> transitions = new CopyOnWriteArrayList<>();
        Random random = new Random(7);
        driver = Executors.newSingleThreadScheduledExecutor();
        Instant steadyFrom = Instant.now();
        java.util.concurrent.atomic.AtomicInteger ticks = new java.util.concurrent.atomic.AtomicInteger();
        for (int second = 1; second <= 24; second++) {
            int tick = second;
            driver.schedule(() -> {
                for (int k = 0; k < 3; k++) {
                    String id = active.get(random.nextInt(active.size()));
                    move(transitions, id, "IN_PROGRESS", 10 + tick * 3 + k);
                }
                String finishing = active.remove(tick % 6 == 0 ? 0 : random.nextInt(active.size()));
                move(transitions, finishing, tick % 3 == 0 ? "ERROR" : "DONE", tick % 3 == 0 ? 50 : 100);
                ticks.incrementAndGet();
            }, second, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ticks.get() == 24);
        // A state that lasted less than one interval may fall between two polls: only lasting ones count.
        List<Transition> lasting = transitions.stream().filter(t -> transitions.stream().noneMatch(later ->
                later.jobId().equals(t.jobId()) && later.at().isAfter(t.at())
                        && Duration.between(t.at(), later.at()).compareTo(INTERVAL) < 0)).toList();
        assertThat(lasting.size()).isGreaterThan(80);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(undetected(lasting)).isEmpty());
        Instant steadyTo = transitions.get(transitions.size() - 1).at().plus(INTERVAL.multipliedBy(2));

        List<Duration> latencies = new ArrayList<>();
        for (Transition t : lasting) {
            Instant seen = seenAt(t);
            if (seen != null) {
                latencies.add(Duration.between(t.at(), seen));
            }
        }
        assertThat(latencies).hasSize(lasting.size())
                .allSatisfy(latency -> assertThat(latency).isLessThanOrEqualTo(INTERVAL.multipliedBy(2).plusMillis(500)));
        long gets = emulator.requests().stream().map(RecordedRequest::at)
                .filter(at -> !at.isBefore(steadyFrom) && at.isBefore(steadyTo)).count();
        double perMinute = gets * 60_000.0 / Duration.between(steadyFrom, steadyTo).toMillis();
        System.out.printf("incremental polling: %d requests in %d ms = %.1f requests/min; worst latency %d ms%n",
                gets, Duration.between(steadyFrom, steadyTo).toMillis(), perMinute,
                latencies.stream().mapToLong(Duration::toMillis).max().orElse(0));
        assertThat(perMinute).as("requests per minute while tracking the workload").isLessThanOrEqualTo(50.0);
    }

    @Test
    void reads_a_full_status_list_further_only_while_a_tracked_job_can_still_be_below() throws Exception {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
        Instant now = Instant.now();
        // 101 running jobs, all below a newest page of 100 finished ones: the running list is one page and one job
        List<String> running = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            running.add(emulator.job().type("SYNC").status("IN_PROGRESS").progress(10)
                    .createdAt(now.minus(Duration.ofHours(3)).plusSeconds(i)).add());
        }
        for (int i = 0; i < 100; i++) {
            emulator.job().type("IMPORT").status("DONE").progress(100)
                    .createdAt(now.minus(Duration.ofMinutes(10)).plusSeconds(i)).add();
        }
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("devana.retry.max-attempts", "0");
        app = RunningApp.start(settings);
        await().atMost(Duration.ofSeconds(60)).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 201);
        // the oldest running job is on the second page: it is asked for while that job is tracked
        await().atMost(Duration.ofSeconds(30)).until(() -> secondRunningPages(Instant.MIN) >= 2);

        String finishing = running.get(running.size() - 1);
        String target = (String) emulator.jobJson(finishing).get("targetId");
        emulator.update(finishing, "DONE", 100);
        await().atMost(Duration.ofSeconds(30)).until(() -> app.count(
                "SELECT COUNT(*) FROM job_state WHERE job_id = ? AND status = 'DONE'", finishing) == 1);
        Instant lookedUp = emulator.requests().stream()
                .filter(r -> r.query() != null && r.query().contains("targetId=" + target))
                .map(RecordedRequest::at).findFirst().orElseThrow();
        // now the list holds 100 and the oldest of them is on its first page: three more cycles, no second page
        await().atMost(Duration.ofSeconds(30)).until(() -> emulator.requests().stream()
                .filter(r -> r.at().isAfter(lookedUp) && r.query() != null && r.query().contains("type=IN_PROGRESS"))
                .count() >= 3);
        assertThat(secondRunningPages(lookedUp)).isZero();
        assertThat(app.count("SELECT COUNT(*) FROM job_state WHERE status = 'IN_PROGRESS'")).isEqualTo(100);
    }

    @Test
    void records_a_change_on_the_newest_page_before_the_cycle_asks_for_the_running_list() throws Exception {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
        Instant now = Instant.now();
        // one running job below a newest page of 100 finished ones: every cycle reads the newest page, then the running list
        emulator.job().type("SYNC").status("IN_PROGRESS").progress(10).createdAt(now.minus(Duration.ofHours(3))).add();
        for (int i = 0; i < 100; i++) {
            emulator.job().type("IMPORT").status("DONE").progress(100)
                    .createdAt(now.minus(Duration.ofMinutes(10)).plusSeconds(i)).add();
        }
        app = RunningApp.start(RunningApp.settings(emulator, dataDir));
        await().atMost(Duration.ofSeconds(60)).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 101);

        Instant added = Instant.now();
        String fresh = emulator.job().type("EXTRACTION").status("DONE").progress(100).add();
        await().atMost(Duration.ofSeconds(30)).until(() -> app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", fresh) == 1);
        Instant recorded = ((java.time.OffsetDateTime) app.rows("SELECT recorded_at FROM job_completions WHERE job_id = ?", fresh)
                .get(0).get("recorded_at")).toInstant();
        // the cycle that saw it on its newest page wrote it, and its event, before it sent its next request
        Instant runningList = await().atMost(Duration.ofSeconds(30)).until(() -> emulator.requests().stream()
                .filter(r -> r.at().isAfter(added) && r.query() != null && r.query().contains("type=IN_PROGRESS"))
                .map(RecordedRequest::at).findFirst(), java.util.Optional::isPresent).orElseThrow();
        assertThat(recorded).isBefore(runningList);
    }

    @Test
    void reads_a_later_full_scan_a_page_at_a_time_and_finds_a_job_only_a_scan_can_show() throws Exception {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
        Instant now = Instant.now();
        for (int i = 0; i < 350; i++) {
            emulator.job().type("EXTRACTION").status("DONE").progress(100)
                    .createdAt(now.minus(Duration.ofHours(5)).plusSeconds(i * 10L)).add();
        }
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        // a scan every 20 s: a later one's deeper pages at most once a second, one at the end of a cycle
        settings.put("devana.poll.full-scan-interval", "20000");
        app = RunningApp.start(settings);
        await().atMost(Duration.ofSeconds(60)).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 350);
        Instant firstScanRead = Instant.now();

        // finished, older than every other job: never on the newest page, never active; only a full scan shows it
        String hidden = emulator.job().type("EMBEDDING").status("DONE").progress(100)
                .createdAt(now.minus(Duration.ofHours(6))).add();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                app.count("SELECT COUNT(*) FROM job_completions WHERE job_id = ?", hidden) == 1);

        List<RecordedRequest> requests = emulator.requests().stream().filter(r -> r.at().isAfter(firstScanRead)).toList();
        List<Integer> deeper = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            if (isDeeperPage(requests.get(i))) {
                deeper.add(i);
            }
        }
        assertThat(deeper).as("the later scan's pages at offsets 100, 200 and 300").hasSizeGreaterThanOrEqualTo(3);
        for (int k = 1; k < deeper.size(); k++) {
            // never two of its pages in one cycle: a cycle's newest page comes between them, and a second at least
            assertThat(requests.subList(deeper.get(k - 1), deeper.get(k))).anyMatch(r -> "limit=100&offset=0".equals(r.query()));
            assertThat(Duration.between(requests.get(deeper.get(k - 1)).at(), requests.get(deeper.get(k)).at()))
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        }
    }

    private static boolean isDeeperPage(RecordedRequest request) {
        String query = request.query();
        return query != null && query.startsWith("limit=100&offset=") && !query.equals("limit=100&offset=0")
                && !query.contains("type=") && !query.contains("targetId=");
    }

    private long secondRunningPages(Instant after) {
        return emulator.requests().stream().filter(r -> r.at().isAfter(after) && r.query() != null
                && r.query().contains("type=IN_PROGRESS") && r.query().contains("offset=100")).count();
    }

    private void move(List<Transition> transitions, String id, String status, int progress) {
        Map<String, Object> before = emulator.jobJson(id);
        if (status.equals(before.get("status")) && Integer.valueOf(progress).equals(before.get("progress"))) {
            return;
        }
        if (status.equals("ERROR")) {
            emulator.update(id, "IN_PROGRESS", progress);
            emulator.fail(id, "disk full");
        } else {
            emulator.update(id, status, progress);
        }
        transitions.add(new Transition(id, status, progress, Instant.now()));
    }

    private List<Transition> undetected(List<Transition> transitions) throws Exception {
        List<Transition> missing = new ArrayList<>();
        for (Transition t : transitions) {
            if (seenAt(t) == null) {
                missing.add(t);
            }
        }
        return missing;
    }

    private Instant seenAt(Transition t) throws Exception {
        String eventId = UUID.nameUUIDFromBytes((t.jobId() + "|" + t.status() + "|" + t.progress())
                .getBytes(StandardCharsets.UTF_8)).toString();
        List<Map<String, Object>> rows = app.rows("SELECT created_at FROM job_events WHERE event_id = ?", eventId);
        if (rows.isEmpty()) {
            return null;
        }
        Object created = rows.get(0).get("created_at");
        return created instanceof Timestamp ts ? ts.toInstant() : ((java.time.OffsetDateTime) created).toInstant();
    }

    private record Transition(String jobId, String status, int progress, Instant at) {
    }
}
