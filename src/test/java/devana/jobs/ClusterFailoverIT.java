package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.emulator.RecordedRequest;
import devana.emulator.RetryOutcome;
import devana.emulator.RetryRequest;
import devana.jobs.contract.ApiRequest;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.JobType;
import devana.jobs.services.Service;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several instances of the shipped jar (bin/devana-jobs, its JVM options) on one PostgreSQL database of their own
 * and one emulator, with a deterministic workload that this test drives: DONE jobs, failed EXTRACTION and EMBEDDING
 * jobs (two of whose first retries fail again), failed SYNC jobs (no retry call), one arrival a second.
 * <ul>
 * <li>Three instances elect their leaders through file locks in a shared folder (camel.cluster.file.*, 1 s between
 * two tries for a lock). The leader of the account's group, as the readiness checks name it, is killed with
 * {@code kill -9} while one of its retry POSTs is arriving at the emulator: mid-cycle (the poll cycle's dispatch
 * sent it), after the claim was written and before the answer was recorded. A follower takes over; the measured
 * time is printed as {@code failover: <ms> ms}. When the workload is over, the totals are those of one instance:
 * one retry POST per failed job, one completion per DONE job, each event once in the outbox and once on the bus
 * (at most the one event the killed instance had sent and not yet marked may come twice: at-least-once).</li>
 * <li>Two instances with leader election off (each leads every group: the most overlap there can be): the database
 * alone keeps them from repeating a retry, a completion or an event, and the outbox claim from publishing one event
 * from both.</li>
 * </ul>
 * The expected figures are the emulator's own state at the end (which jobs are DONE, which failed, what was POSTed),
 * checked against the totals the workload is built to give; no single-instance run is made first (its JVM start and
 * workload would double the class's time, and the workload is deterministic, so its totals are known).
 * Runs after `package` (failsafe): it needs the jar.
 */
class ClusterFailoverIT {

    private static final long LOCK_INTERVAL_MS = 1000;
    private static final long POLL_INTERVAL_MS = 2000;
    /**
     * What a takeover costs beyond a lock try and a poll interval: once the lock is taken, Camel 4.14's master
     * component starts each route of the group a second after leadership and then holds the leadership thread one
     * back-off delay more (CAMEL-24584, camel.component.master.back-off-delay=1000); the account's group has two
     * routes (resend-retries first, then the poll), so its poll starts about 3 s after the lock. If the new leader
     * also takes the outbox's lock in the same round, its route start comes on the same thread first (2 s).
     * Plus 1 s of scheduling on a shared 2-core machine. Measured: 3.5 s when the killed leader led the account's
     * group only, 5.2-5.9 s when it led all three (the new leader took the outbox first, then the account).
     */
    private static final long TAKEOVER_MARGIN_MS = 6000;
    private static final String ACCOUNT = "devana-jobs-account-default";
    private static final String OUTBOX = "devana-jobs-outbox";
    private static final String HOUSEKEEPING = "devana-jobs-housekeeping";
    private static final Pattern EVENT_LINE = Pattern.compile(
            "Exchange\\[Body: \\{\"specversion\":\"1\\.0\",\"id\":\"([0-9a-f-]{36})\"");
    private static final Pattern LEADERSHIP = Pattern.compile("member (\\S+) leads \\[([^]]*)], follows \\[([^]]*)]");
    private static final HttpClient PROBES = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private String testName;
    private Database database;
    private DevanaEmulator emulator;
    private Arrivals arrivals;
    private final List<Instance> instances = new ArrayList<>();

    @BeforeEach
    void aDatabaseOfItsOwnAndAnEmulator(TestInfo info) throws SQLException {
        Service.POSTGRESQL.require();
        assertThat(Path.of("target", "devana-jobs.jar")).as("the jar `mvn package` builds").exists();
        testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
        database = Database.create();
        // speed 300: a retry's new job is queued 0.2-0.3 s and runs 2 s
        emulator = DevanaEmulator.start(EmulatorOptions.forTests().withSpeed(300));
    }

    @AfterEach
    void stopEverything() {
        for (Instance instance : instances) {
            instance.kill();
        }
        keepLogs();
        if (arrivals != null) {
            arrivals.close();
        }
        if (emulator != null) {
            emulator.close();
        }
        if (database != null) {
            database.drop();
        }
    }

    @Test
    void a_follower_takes_over_from_a_leader_killed_mid_cycle_and_nothing_is_done_twice() throws Exception {
        arrivals = new Arrivals(emulator, "fo", 20, Set.of(1, 8));
        // The first instance up leads every group, as after a deployment: its death hands all three over at once.
        instances.add(launch("a", true));
        diagnosed(() -> {
            waiting(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                    instances.get(0).leadership(Duration.ofSeconds(12)).leads().containsAll(List.of(ACCOUNT, OUTBOX, HOUSEKEEPING)));
            instances.add(launch("b", true));
            instances.add(launch("c", true));
            waiting(Duration.ofSeconds(30)).until(() -> polls(Instant.EPOCH).findAny().isPresent());
            arrivals.start();

            // the followers up; mid-workload (some completions recorded); then kill -9 as the next retry POST arrives
            waiting(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() ->
                    instances.subList(1, 3).stream().allMatch(f -> f.leadership(Duration.ofSeconds(12)).follows()
                            .containsAll(List.of(ACCOUNT, OUTBOX, HOUSEKEEPING))));
            Instance leader = theOneLeaderOf(ACCOUNT, instances);
            assertThat(leader).as("the first instance up leads").isSameAs(instances.get(0));
            assertThat(ProcessHandle.of(leader.process.pid()).flatMap(p -> p.info().command()).orElse(""))
                    .as("the process to kill is the JVM itself (bin/devana-jobs execs java)").endsWith("/java");
            assertThat(leader.leadership(Duration.ofSeconds(10)).member()).endsWith("-" + leader.process.pid());
            waiting(Duration.ofSeconds(30)).until(() -> database.count("SELECT COUNT(*) FROM job_completions") >= 3);
            Set<String> leaderLeads = leader.leadership(Duration.ofSeconds(10)).leads();
            AtomicReference<RecordedRequest> killedDuring = new AtomicReference<>();
            AtomicReference<Instance> victim = new AtomicReference<>(leader);
            emulator.addRequestListener(request -> {
                if ("POST".equals(request.method()) && ApiRequest.retryCall(request.path()) != null) {
                    Instance target = victim.getAndSet(null);
                    if (target != null) {
                        target.killedOnPurpose = true;
                        target.process.destroyForcibly();
                        killedDuring.set(request);
                    }
                }
            });
            waiting(Duration.ofSeconds(30)).until(() -> killedDuring.get() != null);
            Instant killedAt = killedDuring.get().at();
            assertThat(leader.process.waitFor(10, TimeUnit.SECONDS)).as("the leader is gone").isTrue();
            assertThat(leader.process.exitValue()).as("killed (128 + 9), not stopped").isEqualTo(137);
            long completionsAtKill = database.count("SELECT COUNT(*) FROM job_completions");
            List<Instance> survivors = instances.stream().filter(i -> i != leader).toList();

            // The takeover: the first poll of another instance, and what the survivors' readiness says meanwhile.
            // Readiness is asked with a long timeout and its answer time printed, not asserted: while an instance starts
            // a group's routes after taking its lock, its /observe/health/ready waits (measured up to 6 s): Camel 4.14's
            // FileLockClusterView answers isLeader() under the JVM-wide lock that its lock task holds while the master
            // consumers start their routes (1 s each plus one back-off delay, CAMEL-24584), and the leadership and
            // devana-api checks ask isLeader(). A probe with a 1 s timeout fails exactly while the instance takes over.
            AtomicReference<Instance> newLeader = new AtomicReference<>();
            AtomicReference<Duration> readinessSaysLeads = new AtomicReference<>();
            List<Long> readinessMillis = new CopyOnWriteArrayList<>();
            waiting(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                for (Instance survivor : survivors) {
                    long asked = System.nanoTime();
                    Optional<Leadership> said = survivor.leadershipIfAnswered(Duration.ofSeconds(12));
                    readinessMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked));
                    if (said.isPresent() && said.get().leads().contains(ACCOUNT) && newLeader.compareAndSet(null, survivor)) {
                        readinessSaysLeads.set(Duration.between(killedAt, Instant.now()));
                    }
                }
                return newLeader.get() != null && polls(killedAt).findAny().isPresent();
            });
            RecordedRequest firstPoll = polls(killedAt).findFirst().orElseThrow();
            Duration failover = Duration.between(killedAt, firstPoll.at());
            System.out.println("failover: " + failover.toMillis() + " ms");
            System.out.printf("failover detail: %s (led %s) killed by kill -9 while %s %s arrived, %d completions recorded;"
                            + " %s's readiness said it leads %s %d ms after the kill; its first poll (%s) reached the emulator"
                            + " %d ms after the kill; readiness of the survivors answered in %d ms at worst meanwhile%n",
                    leader, leaderLeads, killedDuring.get().method(), killedDuring.get().path(), completionsAtKill,
                    newLeader.get(), ACCOUNT, readinessSaysLeads.get().toMillis(), firstPoll.query(),
                    failover.toMillis(), readinessMillis.stream().mapToLong(Long::longValue).max().orElse(-1));
            System.out.printf("failover leaders after the kill: %s%n", leadersNow(survivors));
            assertThat(failover).as("kill -9 to the new leader's first poll: one lock try (%d ms) + one poll interval (%d ms)"
                            + " + the master component's route starts (%d ms)", LOCK_INTERVAL_MS, POLL_INTERVAL_MS, TAKEOVER_MARGIN_MS)
                    .isLessThanOrEqualTo(Duration.ofMillis(LOCK_INTERVAL_MS + POLL_INTERVAL_MS + TAKEOVER_MARGIN_MS));
            assertThat(survivors.stream().filter(s -> s.leadership(Duration.ofSeconds(12)).leads().contains(ACCOUNT)))
                    .as("one leader of the account among the survivors").containsExactly(newLeader.get());

            Expected expected = settled(Duration.ofSeconds(60));
            List<Map<String, Object>> afterKill = database.rows("SELECT MIN(published_at) AS first FROM job_events WHERE published_at > '"
                    + killedAt + "'");
            Object firstPublished = afterKill.get(0).get("first");
            System.out.printf("failover outbox: first event published after the kill %s ms after it; leaders now %s%n",
                    firstPublished == null ? "none" : Duration.between(killedAt, ((java.sql.Timestamp) firstPublished).toInstant()).toMillis(),
                    leadersNow(survivors));
            // what one instance does with this workload (built to give these figures)
            assertThat(expected.done()).as("DONE jobs: 10 arrivals and every retry's new job but two that failed").hasSize(18);
            assertThat(expected.retryable()).as("failed EXTRACTION/EMBEDDING jobs: 8 arrivals and 2 retries that failed").hasSize(10);
            assertThat(expected.failed()).as("failed jobs: those and 2 SYNC").hasSize(12);
            assertNothingDoneTwice(expected);

            Map<String, List<String>> published = publishedByInstance();
            Map<String, Long> repeated = repeated(published.values());
            String inFlight = last(published.get(leader.name));
            System.out.printf("failover totals: %d completions, %d retry POSTs for %d failed EXTRACTION/EMBEDDING jobs, %d job_retries"
                            + " rows, %d events in the outbox; published per instance %s; repeated %s (the killed instance's last"
                            + " published event: %s); busiest rolling minute %d requests; poll cycles per instance %s%n",
                    database.count("SELECT COUNT(*) FROM job_completions"), emulator.retryRequests().size(), expected.retryable().size(),
                    database.count("SELECT COUNT(*) FROM job_retries"), database.count("SELECT COUNT(*) FROM job_events"),
                    counts(published), repeated, inFlight, busiestMinute(emulator.requests()), pollCycles());
            assertPublishedOnceAtLeast(published);
            // At-least-once: the killed instance may have handed its last event to the bus (a log line here) and died
            // before its UPDATE published_at; the next publisher sends that event again, with the same id. Any other
            // repeat, or that one from an instance that was not publishing when it died, is a bug.
            Set<String> excused = inFlight != null && leaderLeads.contains(OUTBOX) ? Set.of(inFlight) : Set.of();
            assertThat(repeated.keySet()).as("events published more than once: only the one in flight at the kill may be")
                    .isSubsetOf(excused);
            assertThat(repeated.values()).as("and then twice, not more").allMatch(times -> times == 2);

            int busiest = busiestMinute(emulator.requests());
            assertThat(busiest).as("requests the emulator saw in the busiest rolling minute, all instances together").isLessThanOrEqualTo(100);
            assertThat(emulator.requests()).as("none refused by the API's rate limit").noneMatch(r -> r.status() == 429);
            Instance neverLed = survivors.stream().filter(s -> s != newLeader.get()).findFirst().orElseThrow();
            assertThat(neverLed.metric("devana_poll_cycles_total")).as("%s followed the account's group all along: it never polled",
                    neverLed).isZero();
        });
    }

    @Test
    void two_instances_without_leader_election_repeat_nothing_and_never_publish_one_event_both() throws Exception {
        arrivals = new Arrivals(emulator, "so", 10, Set.of(1));
        for (String name : List.of("x", "y")) {
            instances.add(launch(name, false));
        }
        diagnosed(() -> {
            waiting(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                for (Instance instance : instances) {
                    assertThat(instance.leadership(Duration.ofSeconds(5)).leads()).as("%s leads every group", instance)
                            .contains(ACCOUNT, OUTBOX);
                    assertThat(instance.metric("devana_poll_cycles_total")).as("%s polls", instance).isPositive();
                }
            });
            arrivals.start();

            Expected expected = settled(Duration.ofSeconds(45));
            assertThat(expected.done()).as("DONE jobs: 5 arrivals and every retry's new job but one that failed").hasSize(9);
            assertThat(expected.retryable()).as("failed EXTRACTION/EMBEDDING jobs: 4 arrivals and 1 retry that failed").hasSize(5);
            assertThat(expected.failed()).as("failed jobs: those and 1 SYNC").hasSize(6);
            assertNothingDoneTwice(expected);

            Map<String, List<String>> published = publishedByInstance();
            System.out.printf("no election: published per instance %s; completions recorded per instance %s; retry POSTs %d;"
                            + " poll cycles per instance %s; busiest rolling minute %d requests%n", counts(published),
                    logCounts("completion recorded: job "), emulator.retryRequests().size(), pollCycles(),
                    busiestMinute(emulator.requests()));
            assertPublishedOnceAtLeast(published);
            assertThat(repeated(published.values())).as("events published more than once, by one instance or by both").isEmpty();
        });
    }

    @Test
    void a_push_received_by_a_follower_is_retried_once_by_the_leader_and_the_follower_calls_nothing() throws Exception {
        String secret = "whsec-failover-7c41e9a2";
        instances.add(launch("p", true, Map.of("DEVANA_WEBHOOK_SECRET", secret)));
        instances.add(launch("q", true, Map.of("DEVANA_WEBHOOK_SECRET", secret)));
        diagnosed(() -> {
            Instance leader = theOneLeaderOf(ACCOUNT, instances);
            Instance follower = instances.get(0) == leader ? instances.get(1) : instances.get(0);
            waiting(Duration.ofSeconds(30)).ignoreExceptions().until(() -> leader.metric("devana_poll_cycles_total") > 0
                    && follower.leadership(Duration.ofSeconds(5)).follows().contains(ACCOUNT));

            // The push reaches the follower before the API shows the job, so that the follower records the failure
            // (and not the leader's poll): the retry it asks for is refused by its budget, postponed, and sent by the
            // leader's resend route.
            String jobId = "cm4jobpushedtofollower01";
            String target = "cm4docpushedtofollower01";
            byte[] body = ("{\"jobId\":\"" + jobId + "\",\"status\":\"ERROR\",\"targetId\":\"" + target
                    + "\",\"type\":\"EXTRACTION\",\"metadata\":{}}").getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> accepted = Http.post("http://127.0.0.1:" + follower.port + "/webhook/job-status", body,
                    Map.of("Content-Type", "application/json", "X-Devana-Signature", Signed.devana(secret, body)));
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            emulator.job().id(jobId).type("EXTRACTION").target(target).status("ERROR").error("pushed").add();

            waiting(Duration.ofSeconds(30)).until(() -> leader.lines().stream()
                    .anyMatch(line -> line.contains("retry requested: job " + jobId + " EXTRACTION target " + target + " attempt 1/")));
            double cycles = leader.metric("devana_poll_cycles_total");
            waiting(Duration.ofSeconds(30)).until(() -> leader.metric("devana_poll_cycles_total") >= cycles + 2);
            assertThat(follower.lines()).as("the follower recorded the pushed failure")
                    .anyMatch(line -> line.contains("job " + jobId + " EXTRACTION target " + target + ": (new) -> ERROR"));
            // the emulator may fail the retry's new job too: then that one is retried, by the leader as well
            assertThat(retryPostsFor(target)).as("retry POSTs for the target = its REQUESTED decisions, each failure once")
                    .isEqualTo(database.count("SELECT COUNT(*) FROM job_retries WHERE target_id = '" + target + "' AND outcome = 'REQUESTED'"))
                    .isPositive();
            assertThat(follower.lines()).as("the follower sent no retry").noneMatch(line -> line.contains("retry requested: job "));
            assertThat(follower.metric("devana_api_requests_total")).as("calls to the Devana API made by the follower").isZero();
        });
    }

    private long retryPostsFor(String target) {
        return emulator.retryRequests().stream().filter(post -> target.equals(post.targetId())).count();
    }

    /** One retry POST per failed job, one completion per DONE job, one decision per failed job, each event once in the outbox. */
    private void assertNothingDoneTwice(Expected expected) throws SQLException {
        Map<String, Long> postsByTarget = emulator.retryRequests().stream()
                .collect(Collectors.groupingBy(RetryRequest::targetId, TreeMap::new, Collectors.counting()));
        Map<String, Long> failuresByTarget = expected.retryable().stream()
                .collect(Collectors.groupingBy(id -> (String) expected.jobs().get(id).get("targetId"), TreeMap::new,
                        Collectors.counting()));
        assertThat(postsByTarget).as("retry POSTs per target = its failed EXTRACTION/EMBEDDING jobs: each retried once")
                .isEqualTo(failuresByTarget);
        assertThat(database.strings("SELECT job_id FROM job_completions")).as("one completion row per DONE job")
                .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected.done());

        Map<String, String> decisions = new TreeMap<>();
        for (Map<String, Object> row : database.rows("SELECT failed_job_id, outcome, attempt FROM job_retries")) {
            decisions.put((String) row.get("failed_job_id"), row.get("outcome") + (row.get("attempt") == null ? "" : " " + row.get("attempt")));
        }
        Map<String, String> wanted = new TreeMap<>();
        for (String id : expected.failed()) {
            String target = (String) expected.jobs().get(id).get("targetId");
            wanted.put(id, expected.retryable().contains(id) ? "REQUESTED " + expected.attemptOf(id, target) : "UNSUPPORTED");
        }
        assertThat(decisions).as("job_retries: one row per failed job, REQUESTED with its attempt number, or UNSUPPORTED")
                .isEqualTo(wanted);

        assertThat(database.count("SELECT COUNT(DISTINCT event_id) FROM job_events"))
                .as("event ids in the outbox are unique").isEqualTo(database.count("SELECT COUNT(*) FROM job_events"));
        assertThat(database.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL")).as("events not published").isZero();
    }

    /** Every event of the outbox reached the bus (some instance's output), and nothing else did. */
    private void assertPublishedOnceAtLeast(Map<String, List<String>> published) throws SQLException {
        Set<String> union = published.values().stream().flatMap(List::stream).collect(Collectors.toSet());
        assertThat(union).as("the events published, all instances together, are the outbox's")
                .containsExactlyInAnyOrderElementsOf(database.strings("SELECT event_id FROM job_events"));
    }

    /**
     * Waits until the workload is over and the instances are done with it: every job of the emulator (arrivals and
     * retries' new jobs) DONE or ERROR, the database holding as many completions as DONE jobs and as many decisions as
     * failed jobs (none FAILED, i.e. waiting to be sent again), every event published. Returns the emulator's state then.
     */
    private Expected settled(Duration atMost) {
        AtomicReference<Expected> last = new AtomicReference<>();
        waiting(atMost).pollInterval(Duration.ofMillis(250)).until(() -> {
            if (!arrivals.finished()) {
                return false;
            }
            Expected now = expected();
            last.set(now);
            return now.jobs().values().stream().allMatch(job -> JobStatus.DONE.equals(job.get("status"))
                    || JobStatus.ERROR.equals(job.get("status")))
                    && database.count("SELECT COUNT(*) FROM job_completions") >= now.done().size()
                    && database.count("SELECT COUNT(*) FROM job_retries WHERE outcome <> 'FAILED'") >= now.failed().size()
                    && database.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0
                    && emulator.retryRequests().size() >= now.retryable().size();
        });
        return last.get();
    }

    /** The emulator's jobs (this workload's arrivals and every job a retry POST created), as the API shows them. */
    private Expected expected() {
        Map<String, Map<String, Object>> jobs = new LinkedHashMap<>();
        for (String id : arrivals.ids()) {
            jobs.put(id, emulator.jobJson(id));
        }
        for (RetryRequest retry : emulator.retryRequests()) {
            jobs.put(retry.newJobId(), emulator.jobJson(retry.newJobId()));
        }
        return new Expected(jobs);
    }

    /** The emulator's state: which jobs are DONE and which failed, oldest first. */
    record Expected(Map<String, Map<String, Object>> jobs) {

        Set<String> done() {
            return having(job -> JobStatus.DONE.equals(job.get("status")));
        }

        Set<String> failed() {
            return having(job -> JobStatus.ERROR.equals(job.get("status")));
        }

        /** Failed jobs of a type with a retry call: each deserves one retry (no target fails more than twice here). */
        Set<String> retryable() {
            return having(job -> JobStatus.ERROR.equals(job.get("status")) && JobType.hasRetryCall((String) job.get("type")));
        }

        /** The attempt number a failed job's retry takes: its rank among its target's failures, by creation. */
        int attemptOf(String jobId, String target) {
            List<String> ofTarget = retryable().stream().filter(id -> target.equals(jobs.get(id).get("targetId")))
                    .sorted((a, b) -> ((String) jobs.get(a).get("createdAt")).compareTo((String) jobs.get(b).get("createdAt")))
                    .toList();
            return ofTarget.indexOf(jobId) + 1;
        }

        private Set<String> having(java.util.function.Predicate<Map<String, Object>> test) {
            return jobs.entrySet().stream().filter(e -> test.test(e.getValue())).map(Map.Entry::getKey)
                    .collect(Collectors.toCollection(LinkedHashSet::new));
        }
    }

    /** The instance whose readiness says it leads the group, once every instance answers and exactly one does. */
    private Instance theOneLeaderOf(String group, List<Instance> candidates) {
        AtomicReference<Instance> leader = new AtomicReference<>();
        List<List<Instance>> moreThanOne = new CopyOnWriteArrayList<>();
        waiting(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            List<Instance> leading = new ArrayList<>();
            for (Instance instance : instances) {
                if (instance.leadership(Duration.ofSeconds(12)).leads().contains(group)) {
                    leading.add(instance);
                }
            }
            if (leading.size() > 1) {
                moreThanOne.add(leading);
            }
            leader.set(leading.isEmpty() ? null : leading.get(0));
            return leader.get() != null;
        });
        assertThat(moreThanOne).as("instances that said at once that they lead %s", group).isEmpty();
        return leader.get();
    }

    /**
     * Awaitility, failing at once if an instance stopped that the test did not stop (a crash, or a signal from
     * outside: the app stops cleanly with exit code 0 on SIGTERM or SIGINT), rather than timing out.
     */
    private org.awaitility.core.ConditionFactory waiting(Duration atMost) {
        return await().atMost(atMost).failFast("an instance stopped that this test did not stop (exit codes and logs follow)",
                () -> instances.stream().anyMatch(i -> !i.process.isAlive() && !i.killedOnPurpose));
    }

    /** Which survivor leads which group now, by their readiness. */
    private static Map<String, Set<String>> leadersNow(List<Instance> survivors) {
        Map<String, Set<String>> leads = new LinkedHashMap<>();
        for (Instance survivor : survivors) {
            leads.put(survivor.name, survivor.leadershipIfAnswered(Duration.ofSeconds(12)).map(Leadership::leads).orElse(Set.of("?")));
        }
        return leads;
    }

    /** The poll cycles' requests (GET /v1/jobs without a targetId: not a retry's look-up) that arrived after the instant. */
    private java.util.stream.Stream<RecordedRequest> polls(Instant after) {
        return emulator.requests().stream()
                .filter(r -> "GET".equals(r.method()) && ApiRequest.JOBS_PATH.equals(r.path()))
                .filter(r -> r.query() == null || !r.query().contains("targetId="))
                .filter(r -> r.at().isAfter(after))
                .sorted((a, b) -> a.at().compareTo(b.at()));
    }

    /** The most requests the emulator received in any 60 s window. */
    static int busiestMinute(List<RecordedRequest> requests) {
        List<Instant> times = requests.stream().map(RecordedRequest::at).sorted().toList();
        int busiest = 0;
        int from = 0;
        for (int to = 0; to < times.size(); to++) {
            while (!times.get(from).plus(Duration.ofMinutes(1)).isAfter(times.get(to))) {
                from++;
            }
            busiest = Math.max(busiest, to - from + 1);
        }
        return busiest;
    }

    private Map<String, List<String>> publishedByInstance() {
        Map<String, List<String>> published = new LinkedHashMap<>();
        for (Instance instance : instances) {
            published.put(instance.name, instance.publishedEventIds());
        }
        return published;
    }

    /** Event ids that appear more than once over all the outputs, with how many times. */
    private static Map<String, Long> repeated(Collection<List<String>> outputs) {
        return outputs.stream().flatMap(List::stream).collect(Collectors.groupingBy(Function.identity(), TreeMap::new,
                        Collectors.counting()))
                .entrySet().stream().filter(e -> e.getValue() > 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }

    private static String last(List<String> ids) {
        return ids == null || ids.isEmpty() ? null : ids.get(ids.size() - 1);
    }

    private static Map<String, Integer> counts(Map<String, List<String>> published) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        published.forEach((name, ids) -> counts.put(name, ids.size()));
        return counts;
    }

    private Map<String, Long> logCounts(String text) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Instance instance : instances) {
            counts.put(instance.name, instance.lines().stream().filter(line -> line.contains(text)).count());
        }
        return counts;
    }

    private Map<String, String> pollCycles() {
        Map<String, String> cycles = new LinkedHashMap<>();
        for (Instance instance : instances) {
            cycles.put(instance.name, instance.process.isAlive() ? String.valueOf((long) instance.metric("devana_poll_cycles_total")) : "killed");
        }
        return cycles;
    }

    private Instance launch(String name, boolean election) throws IOException {
        return launch(name, election, Map.of());
    }

    private Instance launch(String name, boolean election, Map<String, String> more) throws IOException {
        int port = RunningApp.freePort();
        Path log = dir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder("bin/devana-jobs")
                .directory(new File(System.getProperty("user.dir")))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.remove("JAVA_OPTS");
        // no class-data archive: three JVMs would write the same one at exit, and a killed one writes none
        env.put("DEVANA_JOBS_CDS", "off");
        env.put("DEVANA_BASE_URL", emulator.baseUrl());
        env.put("DEVANA_API_KEY", emulator.apiKey());
        env.put("DEVANA_POLL_INTERVAL", String.valueOf(POLL_INTERVAL_MS));
        env.put("JOBS_DB_URL", database.url());
        env.put("JOBS_DB_USER", Database.USER);
        env.put("CAMEL_SERVER_PORT", String.valueOf(port));
        // the bus is each process's own output: one line per event handed to it, read back by this test
        env.put("JOBS_EVENTS_URI", "log:devana.jobs.events?showExchangePattern=false&showBodyType=false");
        env.put("JOBS_EVENTS_PUBLISH_INTERVAL", "200");
        env.put("CAMEL_CLUSTER_FILE_ENABLED", String.valueOf(election));
        if (election) {
            env.put("CAMEL_CLUSTER_FILE_ROOT", dir.resolve("leaders").toAbsolutePath().toString());
            env.put("CAMEL_CLUSTER_FILE_ACQUIRE_LOCK_INTERVAL", String.valueOf(LOCK_INTERVAL_MS));
        }
        env.putAll(more);
        return new Instance(name, port, log, builder.start());
    }

    /** Runs the test's body; when it fails, the end of every instance's output goes to the report with it. */
    private void diagnosed(Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable failure) {
            StringBuilder report = new StringBuilder("--- " + testName + " failed; emulator: " + emulator.requests().size()
                    + " requests, " + emulator.retryRequests().size() + " retry POSTs " + emulator.retryRequests() + "\n");
            for (Instance instance : instances) {
                report.append("--- ").append(instance).append(instance.process.isAlive() ? " (alive)" : " (exit "
                        + instance.process.exitValue() + ")").append(" ---\n").append(instance.tail(60)).append('\n');
            }
            System.err.println(report);
            throw failure;
        }
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    /** The instances' outputs, kept under target/ for a look after the run (the temp folder goes). */
    private void keepLogs() {
        try {
            Path kept = Path.of("target", "cluster-failover-it", testName);
            Files.createDirectories(kept);
            for (Instance instance : instances) {
                Files.copy(instance.log, kept.resolve(instance.name + ".log"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("could not keep the instances' logs: " + e);
        }
    }

    /** What one instance's readiness check "leadership" says. */
    record Leadership(String member, Set<String> leads, Set<String> follows) {

        static Leadership of(String message) {
            Matcher m = LEADERSHIP.matcher(message);
            if (!m.find()) {
                throw new AssertionError("unreadable leadership message: " + message);
            }
            return new Leadership(m.group(1), groups(m.group(2)), groups(m.group(3)));
        }

        private static Set<String> groups(String list) {
            return list.isBlank() ? Set.of() : Set.of(list.split(",\\s*"));
        }
    }

    /** One devana-jobs process started by bin/devana-jobs (which execs java: the process is the JVM). */
    private static final class Instance {
        final String name;
        final int port;
        final Path log;
        final Process process;
        volatile boolean killedOnPurpose;

        Instance(String name, int port, Path log, Process process) {
            this.name = name;
            this.port = port;
            this.log = log;
            this.process = process;
        }

        /** GET /observe/health/ready and its check "leadership" (the answer is 200 or 503; both carry the checks). */
        @SuppressWarnings("unchecked")
        Leadership leadership(Duration timeout) {
            HttpResponse<String> answer;
            try {
                answer = PROBES.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/health/ready"))
                        .timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            List<Map<String, Object>> checks = (List<Map<String, Object>>) Json.read(answer.body()).get("checks");
            return checks.stream().filter(c -> "leadership".equals(c.get("name"))).findFirst()
                    .map(c -> Leadership.of(String.valueOf(c.get("message"))))
                    .orElseThrow(() -> new AssertionError("no leadership check in " + answer.body()));
        }

        Optional<Leadership> leadershipIfAnswered(Duration timeout) {
            try {
                return Optional.of(leadership(timeout));
            } catch (RuntimeException notNow) {
                return Optional.empty();
            }
        }

        /** The sum of a Prometheus series of this instance (0 when it has none yet). */
        double metric(String name) {
            return Http.get("http://127.0.0.1:" + port + "/observe/metrics").body().lines()
                    .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                    .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                    .sum();
        }

        /** The ids of the CloudEvents this process handed to its bus (its log endpoint), in order. */
        List<String> publishedEventIds() {
            List<String> ids = new ArrayList<>();
            for (String line : lines()) {
                Matcher m = EVENT_LINE.matcher(line);
                if (m.find()) {
                    ids.add(m.group(1));
                }
            }
            return ids;
        }

        List<String> lines() {
            try {
                return Files.readAllLines(log);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String tail(int count) {
            List<String> all = lines().stream().filter(line -> !EVENT_LINE.matcher(line).find()).toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - count), all.size()));
        }

        void kill() {
            killedOnPurpose = true;
            if (process.isAlive()) {
                process.destroyForcibly();
            }
            try {
                process.waitFor(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String toString() {
            return "instance " + name + " (pid " + process.pid() + ", port " + port + ")";
        }
    }

    /**
     * The workload, one arrival a second on a fixed plan: each job arrives IN_PROGRESS and ends 1.5 s later DONE or
     * ERROR. By index i: i%5 = 0 EXTRACTION DONE, 1 EXTRACTION ERROR, 2 GENERATION DONE, 3 EMBEDDING ERROR,
     * 4 SYNC ERROR (i%10 = 4) or EMBEDDING DONE; every job on a target of its own. A retry's new job succeeds, but
     * the first retry of each "flaky" arrival fails again, so that target's second failure takes attempt 2.
     */
    private static final class Arrivals implements AutoCloseable {

        private record Plan(int index, String type, String target, boolean fails) {
        }

        private final DevanaEmulator emulator;
        private final List<Plan> plans = new ArrayList<>();
        private final List<String> ids = new CopyOnWriteArrayList<>();
        private final AtomicInteger finished = new AtomicInteger();
        private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "arrivals");
            thread.setDaemon(true);
            return thread;
        });

        Arrivals(DevanaEmulator emulator, String prefix, int count, Set<Integer> flaky) {
            this.emulator = emulator;
            Set<String> flakyTargets = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < count; i++) {
                String type;
                boolean fails;
                switch (i % 5) {
                    case 0 -> { type = JobType.EXTRACTION; fails = false; }
                    case 1 -> { type = JobType.EXTRACTION; fails = true; }
                    case 2 -> { type = "GENERATION"; fails = false; }
                    case 3 -> { type = JobType.EMBEDDING; fails = true; }
                    default -> { type = i % 10 == 4 ? "SYNC" : JobType.EMBEDDING; fails = i % 10 == 4; }
                }
                String target = (type.equals(JobType.EXTRACTION) || type.equals("GENERATION") ? "cm4doc" : "cm4folder")
                        + prefix + String.format(Locale.ROOT, "%02d", i) + UUID.randomUUID().toString().substring(0, 8);
                plans.add(new Plan(i, type, target, fails));
                if (flaky.contains(i)) {
                    flakyTargets.add(target);
                }
            }
            Set<String> failedOnce = ConcurrentHashMap.newKeySet();
            emulator.setRetryOutcome((target, type) -> flakyTargets.contains(target) && failedOnce.add(target)
                    ? RetryOutcome.FAIL : RetryOutcome.SUCCEED);
        }

        void start() {
            for (Plan plan : plans) {
                clock.schedule(() -> arrive(plan), plan.index() * 1000L, TimeUnit.MILLISECONDS);
            }
        }

        private void arrive(Plan plan) {
            String id = emulator.job().type(plan.type()).target(plan.target()).status(JobStatus.IN_PROGRESS).progress(10).add();
            ids.add(id);
            clock.schedule(() -> {
                if (plan.fails()) {
                    emulator.fail(id, plan.type() + " failed on purpose (arrival " + plan.index() + ")");
                } else {
                    emulator.update(id, JobStatus.DONE, 100);
                }
                finished.incrementAndGet();
            }, 1500, TimeUnit.MILLISECONDS);
        }

        boolean finished() {
            return finished.get() == plans.size();
        }

        List<String> ids() {
            return List.copyOf(ids);
        }

        @Override
        public void close() {
            clock.shutdownNow();
        }
    }

    /** A PostgreSQL database of the test's own on 127.0.0.1:5432 (user postgres, trust), dropped after it. */
    private static final class Database {
        static final String USER = "postgres";
        private static final String SERVER = "jdbc:postgresql://" + Service.HOST + ":" + Service.POSTGRESQL.port() + "/";

        private final String name;

        private Database(String name) {
            this.name = name;
        }

        static Database create() throws SQLException {
            Database database = new Database("failover_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
            database.admin("CREATE DATABASE " + database.name);
            return database;
        }

        String url() {
            return SERVER + name;
        }

        long count(String sql) throws SQLException {
            return ((Number) rows(sql).get(0).values().iterator().next()).longValue();
        }

        List<String> strings(String sql) throws SQLException {
            return rows(sql).stream().map(row -> (String) row.values().iterator().next()).toList();
        }

        List<Map<String, Object>> rows(String sql) throws SQLException {
            try (Connection connection = DriverManager.getConnection(url(), USER, null);
                 Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery(sql)) {
                List<Map<String, Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                        row.put(rs.getMetaData().getColumnLabel(c).toLowerCase(Locale.ROOT), rs.getObject(c));
                    }
                    rows.add(row);
                }
                return rows;
            }
        }

        void drop() {
            try {
                admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (SQLException e) {
                System.err.println("could not drop database " + name + ": " + e.getMessage());
            }
        }

        private void admin(String sql) throws SQLException {
            try (Connection connection = DriverManager.getConnection(SERVER + "postgres", USER, null);
                 Statement statement = connection.createStatement()) {
                statement.execute(sql);
            }
        }

        @Override
        public String toString() {
            return url();
        }
    }
}
