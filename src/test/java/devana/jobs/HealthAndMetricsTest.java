package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /observe/health (liveness, readiness per dependency) and /observe/metrics over real HTTP. */
class HealthAndMetricsTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(20);

    @Test
    void is_live_and_ready_with_database_api_and_bus_each_reported() {
        startApp();

        await().atMost(CYCLES).until(() -> Http.get(app.url("/observe/health/ready")).statusCode() == 200);
        Map<String, Object> ready = Json.read(Http.get(app.url("/observe/health/ready?data=true")).body());
        assertThat(ready).containsEntry("status", "UP");
        assertThat(check(ready, "database")).containsEntry("status", "UP");
        assertThat(check(ready, "bus")).containsEntry("status", "UP");
        Map<String, Object> api = check(ready, "devana-api");
        assertThat(api).containsEntry("status", "UP");
        assertThat((Map<String, Object>) api.get("data")).containsKeys("last.successful.poll", "last.successful.poll.age.seconds");

        HttpResponse<String> live = Http.get(app.url("/observe/health/live"));
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(Json.read(live.body())).containsEntry("status", "UP");
        // liveness is Camel's context check alone (the context's status, no I/O): never the database, the API
        // or the bus, whose checks and Camel's route checks count for readiness only
        assertThat((List<Map<String, Object>>) Json.read(live.body()).get("checks")).extracting(c -> c.get("name"))
                .containsExactly("context");
    }

    @Test
    void readiness_answers_503_naming_the_api_when_no_poll_succeeds_while_liveness_stays_up() {
        startApp(Map.of("devana.api-key", "not-the-key", "jobs.health.max-poll-age", "3000"));

        await().atMost(CYCLES).until(() -> app.counter("devana.api.failures", "status", "401") >= 1);
        HttpResponse<String> ready = Http.get(app.url("/observe/health/ready"));
        assertThat(ready.statusCode()).isEqualTo(503);
        Map<String, Object> body = Json.read(ready.body());
        assertThat(body).containsEntry("status", "DOWN");
        assertThat(check(body, "devana-api")).containsEntry("status", "DOWN")
                .hasEntrySatisfying("message", m -> assertThat((String) m).contains("no successful poll of the Devana API"));
        assertThat(check(body, "database")).containsEntry("status", "UP");
        assertThat(check(body, "bus")).containsEntry("status", "UP");
        assertThat(Http.get(app.url("/observe/health/live")).statusCode()).isEqualTo(200);
    }

    @Test
    void readiness_names_the_groups_a_lone_instance_leads() {
        startApp();

        await().atMost(CYCLES).untilAsserted(() -> assertThat((String) leadership().get("message"))
                .contains("leads [devana-jobs-account-default, devana-jobs-housekeeping, devana-jobs-outbox], follows []"));
        Map<String, Object> leadership = leadership();
        assertThat(leadership).containsEntry("status", "UP");
        assertThat((Map<String, Object>) leadership.get("data")).containsEntry("election", "none (this instance runs every timer route)");
    }

    @Test
    void readiness_answers_503_naming_the_bus_when_the_events_endpoint_refuses_events() {
        emulator.job().type("SYNC").status("PENDING").add();
        startApp(Map.of("jobs.events.uri", "http://127.0.0.1:" + RunningApp.freePort() + "/nobody-listens"));

        // 503 alone may still be the first poll's wait (it comes about 2 s after the start), and the outbox's count
        // is the database probe's, up to a second old (DatabaseProbe.FRESH): the whole answer is waited for
        await().atMost(CYCLES).untilAsserted(() -> {
            HttpResponse<String> ready = Http.get(app.url("/observe/health/ready?data=true"));
            assertThat(ready.statusCode()).isEqualTo(503);
            Map<String, Object> body = Json.read(ready.body());
            Map<String, Object> bus = check(body, "bus");
            assertThat(bus).containsEntry("status", "DOWN");
            assertThat((String) bus.get("message")).contains("events wait in the outbox");
            assertThat((Map<String, Object>) bus.get("data")).containsEntry("events.component", "http")
                    .containsEntry("events.pending", 1);
            assertThat(check(body, "database")).containsEntry("status", "UP");
            assertThat(check(body, "devana-api")).containsEntry("status", "UP");
        });
    }

    @Test
    void serves_every_product_metric_in_prometheus_text_format() {
        emulator.job().type("EXTRACTION").target("cm4docM").status("ERROR").error("corrupted xref table").add();
        emulator.job().type("EMBEDDING").status("DONE").progress(100).add();
        emulator.job().type("IMPORT").status("IN_PROGRESS").progress(30).add();
        startApp();
        await().atMost(CYCLES).until(() -> emulator.retryRequests().size() == 1 && app.receivedEvents().size() >= 4);
        long pollsBefore = getJobsRequests();
        await().atMost(CYCLES).until(() -> getJobsRequests() >= pollsBefore + 1);

        HttpResponse<String> scrape = Http.get(app.url("/observe/metrics"));
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        String text = scrape.body();
        assertThat(value(text, "devana_jobs_observed_total", "account=\"default\",source=\"poll\",status=\"DONE\",type=\"EMBEDDING\"")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "devana_jobs_transitions_total", "account=\"default\",status=\"IN_PROGRESS\",type=\"IMPORT\"")).isEqualTo(1);
        assertThat(value(text, "devana_retries_total", "account=\"default\",outcome=\"REQUESTED\",type=\"EXTRACTION\"")).isEqualTo(1);
        assertThat(value(text, "devana_jobs_completions_total", "account=\"default\",type=\"EMBEDDING\"")).isEqualTo(1);
        assertThat(value(text, "devana_events_published_total", "")).isGreaterThanOrEqualTo(4);
        assertThat(value(text, "devana_events_pending", "")).isGreaterThanOrEqualTo(0);
        assertThat(value(text, "devana_api_responses_total", "account=\"default\",status=\"200\"")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "devana_api_responses_total", "account=\"default\",status=\"202\"")).isEqualTo(1);
        assertThat(value(text, "devana_poll_duration_seconds_count", "account=\"default\"")).isGreaterThanOrEqualTo(2);
        double budget = value(text, "devana_api_budget_remaining", "account=\"default\"");
        assertThat(budget).isLessThanOrEqualTo(100 - 3).isGreaterThan(50);
    }

    @Test
    void counts_a_job_with_an_unreadable_field_and_one_with_an_absurd_progress_in_one_metric() {
        // the unreadable job is the older one: a handled failure ends the cycle's split (stopOnException)
        emulator.job().id("bad id with spaces").type("SYNC").status("PENDING").createdAt(java.time.Instant.now().minusSeconds(60)).add();
        emulator.job().type("SYNC").status("IN_PROGRESS").progress(250).add();
        startApp();
        await().atMost(CYCLES).until(() -> app.counter("devana.jobs.invalid") >= 2);
        await().atMost(CYCLES).until(() -> app.counter("devana.jobs.observed") >= 1);

        String text = Http.get(app.url("/observe/metrics")).body();
        assertThat(value(text, "devana_jobs_invalid_total", "account=\"default\",reason=\"progress\"")).isGreaterThanOrEqualTo(1);
        assertThat(value(text, "devana_jobs_invalid_total", "account=\"default\",reason=\"unreadable\"")).isGreaterThanOrEqualTo(1);
    }

    private long getJobsRequests() {
        return emulator.requests().stream().filter(r -> r.method().equals("GET")).count();
    }

    private Map<String, Object> leadership() {
        return check(Json.read(Http.get(app.url("/observe/health/ready?data=true")).body()), "leadership");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> check(Map<String, Object> health, String name) {
        return ((List<Map<String, Object>>) health.get("checks")).stream()
                .filter(c -> name.equals(c.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + health));
    }

    /** The value of one series of a Prometheus text scrape; labels as Prometheus sorts them. */
    private static double value(String scrape, String metric, String labels) {
        String series = labels.isEmpty() ? metric : metric + "{" + labels + "}";
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        if (!m.find()) {
            throw new AssertionError("no series " + series + " in the scrape:\n" + scrape.lines()
                    .filter(l -> l.startsWith("devana_")).reduce("", (a, b) -> a + b + "\n"));
        }
        return Double.parseDouble(m.group(1));
    }
}
