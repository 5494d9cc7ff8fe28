package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.services.Service;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes probes answer within the kubelet's default timeout (1 s) whatever the database does:
 * readiness says DOWN and why, liveness stays UP, the metrics scrape does not hang, and readiness is UP
 * again by itself once the database is back. The app runs on the local PostgreSQL through a
 * {@link DatabaseRelay} that the test stops (an outage) or freezes (a database that hangs). Each round asks
 * readiness, liveness and the metrics at once, as a kubelet and a Prometheus may.
 */
class ProbesTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(30);
    private static final long KUBELET_TIMEOUT_MILLIS = 1000;

    private TestDatabase.PostgresqlSchema schema;
    private DatabaseRelay relay;
    private ExecutorService callers;
    private final List<Round> rounds = new ArrayList<>();

    @BeforeEach
    void openTheDatabase() throws Exception {
        Service.POSTGRESQL.require();
        schema = new TestDatabase.PostgresqlSchema();
        relay = new DatabaseRelay(Service.HOST, Service.POSTGRESQL.port());
        callers = Executors.newFixedThreadPool(3);
    }

    @AfterEach
    void closeTheDatabase() throws Exception {
        if (relay != null) {
            relay.close();
        }
        stopApp();
        if (callers != null) {
            callers.shutdownNow();
            callers.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (schema != null) {
            schema.close();
        }
    }

    @Test
    void answer_within_a_second_while_the_database_is_unreachable_and_readiness_recovers_alone() throws Exception {
        startOnTheRelay();

        relay.stop();
        List<Round> outage = probeUntilTheDriversFailureIsReported();
        relay.start();
        awaitReadyAgain();

        assertTheOutageWasReported(outage);
        assertEveryProbeAnsweredInTime("unreachable");
    }

    @Test
    void answer_within_a_second_while_the_database_hangs_and_readiness_recovers_alone() throws Exception {
        startOnTheRelay();

        relay.freeze();
        List<Round> outage = probeUntilTheDriversFailureIsReported();
        relay.thaw();
        awaitReadyAgain();

        assertTheOutageWasReported(outage);
        assertEveryProbeAnsweredInTime("hanging");
    }

    private void startOnTheRelay() {
        startApp(schema.settingsThrough(relay.port()));
        await().atMost(CYCLES).until(() -> round().readyCall().statusCode() == 200);
        rounds.clear();
    }

    /**
     * The rounds from the database check's first DOWN until it names the failure of a round of the database
     * probe that ended (the pool gives up after its connection timeout, 5 s): the outage was probed through
     * more than one round of the probe.
     */
    private List<Round> probeUntilTheDriversFailureIsReported() {
        await().atMost(CYCLES).pollInterval(Duration.ofMillis(200))
                .until(() -> "DOWN".equals(databaseCheck(round()).get("status")));
        int first = rounds.size() - 1;
        await().atMost(CYCLES).pollInterval(Duration.ofMillis(200))
                .until(() -> String.valueOf(databaseCheck(round()).get("message")).contains("failure: "));
        return List.copyOf(rounds.subList(first, rounds.size()));
    }

    private void assertTheOutageWasReported(List<Round> outage) {
        outage.stream().map(round -> databaseCheck(round).get("message")).distinct()
                .forEach(message -> System.out.println("database check: " + message));
        assertThat(outage).allSatisfy(round -> {
            assertThat(round.readyCall().statusCode()).isEqualTo(503);
            assertThat(databaseCheck(round)).containsEntry("status", "DOWN").hasEntrySatisfying("message", m -> assertThat((String) m)
                    .matches("database (did not answer within 500 ms( \\(last failure: .+\\))?|unavailable: .+)"));
            assertThat(round.liveCall().statusCode()).isEqualTo(200);
            assertThat(Json.read(round.live().body())).containsEntry("status", "UP");
            assertThat(round.metricsCall().statusCode()).isEqualTo(200);
        });
        // the first round's scrape may have been answered before its readiness, from the last round of the
        // database probe before the outage (at most a second old)
        assertThat(outage.subList(1, outage.size())).allSatisfy(round ->
                assertThat(round.metrics().body()).containsPattern("(?m)^devana_events_pending NaN$"));
    }

    private void awaitReadyAgain() {
        await().atMost(CYCLES).pollInterval(Duration.ofMillis(200)).until(() -> round().readyCall().statusCode() == 200);
        assertThat(databaseCheck(round())).containsEntry("status", "UP");
    }

    private static Map<String, Object> databaseCheck(Round round) {
        return HealthAndMetricsTest.check(Json.read(round.ready().body()), "database");
    }

    private void assertEveryProbeAnsweredInTime(String database) {
        System.out.printf("probes while the database was %s (%d rounds): ready max %d ms, live max %d ms, metrics max %d ms%n",
                database, rounds.size(), max(rounds, 0), max(rounds, 1), max(rounds, 2));
        assertThat(rounds).allSatisfy(round -> assertThat(round.millis()).as("ready, live, metrics (ms)")
                .allSatisfy(ms -> assertThat(ms).isLessThan(KUBELET_TIMEOUT_MILLIS)));
    }

    private static long max(List<Round> rounds, int which) {
        return rounds.stream().mapToLong(r -> r.millis().get(which)).max().orElse(-1);
    }

    /** Readiness, liveness and the metrics asked at once, each timed. */
    private Round round() {
        CompletableFuture<Timed> ready = CompletableFuture.supplyAsync(() -> timed("/observe/health/ready"), callers);
        CompletableFuture<Timed> live = CompletableFuture.supplyAsync(() -> timed("/observe/health/live"), callers);
        CompletableFuture<Timed> metrics = CompletableFuture.supplyAsync(() -> timed("/observe/metrics"), callers);
        Round round = new Round(ready.join(), live.join(), metrics.join());
        System.out.printf("ready %d in %d ms, live %d in %d ms, metrics %d in %d ms%n", round.readyCall().statusCode(),
                round.readyCall().millis(), round.liveCall().statusCode(), round.liveCall().millis(),
                round.metricsCall().statusCode(), round.metricsCall().millis());
        rounds.add(round);
        return round;
    }

    /** One call, timed; a connection the server closed unanswered (after jobs.http.request-timeout) is status -1. */
    private Timed timed(String path) {
        long start = System.nanoTime();
        HttpResponse<String> response = null;
        try {
            response = Http.get(app.url(path));
        } catch (UncheckedIOException e) {
            // not answered
        }
        return new Timed(response, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private record Timed(HttpResponse<String> response, long millis) {
        int statusCode() {
            return response == null ? -1 : response.statusCode();
        }
    }

    private record Round(Timed readyCall, Timed liveCall, Timed metricsCall) {
        HttpResponse<String> ready() {
            return readyCall.response();
        }

        HttpResponse<String> live() {
            return liveCall.response();
        }

        HttpResponse<String> metrics() {
            return metricsCall.response();
        }

        List<Long> millis() {
            return List.of(readyCall.millis(), liveCall.millis(), metricsCall.millis());
        }
    }
}
