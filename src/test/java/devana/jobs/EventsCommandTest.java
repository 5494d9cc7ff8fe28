package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.config.Locations;
import devana.jobs.events.EventsCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code events parked | republish | backfill} on the running app's database, as an operator runs them; what the
 * publisher then does with the events put back. (Parking itself is tested against each real broker, bus/*BusTest.)
 */
class EventsCommandTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(20);
    private static final String UUID_NOT_PARKED = "6f1c2a4e-0b7d-4c59-9a43-2d8e7f1b3c05";

    @Test
    void backfill_publishes_the_events_of_the_range_again_with_their_ids_and_only_those() throws Exception {
        String early = emulator.job().type("EXTRACTION").target("cm4docEarly").status("PENDING").add();
        startApp();
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 1);
        Instant between = Instant.now();
        await().atMost(CYCLES).until(() -> Instant.now().isAfter(between.plusMillis(20)));
        emulator.update(early, "IN_PROGRESS", 40);
        String late = emulator.job().type("SYNC").target("cm4srcLate").status("PENDING").add();
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 3
                && app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL") == 0);
        List<Object> lateIds = app.receivedEvents().subList(1, 3).stream().map(event -> event.get("id")).toList();

        Result backfill = events("backfill", "--since", between.toString());

        assertThat(backfill.code()).as(backfill.err()).isEqualTo(EventsCommand.OK);
        assertThat(backfill.out()).contains("2 event(s) written from " + between).contains("put back in line");
        await().atMost(CYCLES).until(() -> app.receivedEvents().size() == 5);
        assertThat(app.receivedEvents().subList(3, 5)).extracting(event -> event.get("id"))
                .as("the range's events again, with their ids, in the outbox's order").containsExactlyElementsOf(lateIds);
        assertThat(app.receivedEvents().subList(3, 5)).extracting(event -> event.get("subject")).containsExactlyInAnyOrder(early, late);
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL")).isZero();
    }

    @Test
    void parked_and_republish_say_so_when_nothing_is_parked() {
        startApp();

        Result parked = events("parked");
        Result republish = events("republish");

        assertThat(parked.code()).isEqualTo(EventsCommand.OK);
        assertThat(parked.out()).isEmpty();
        assertThat(parked.err()).contains("0 parked event(s)");
        assertThat(republish.code()).isEqualTo(EventsCommand.OK);
        assertThat(republish.out()).contains("0 parked event(s) put back in line");
    }

    @Test
    void refuses_what_it_cannot_take_with_the_reason_and_touches_nothing() {
        startApp();

        assertThat(events().err()).contains("say which: parked, republish or backfill");
        assertThat(events("backfill").err()).contains("--since");
        assertThat(events("backfill", "--since", "yesterday").err()).contains("ISO-8601");
        assertThat(events("backfill", "--since", "2026-12-04T10:00:00Z", "--until", "2026-12-04T09:00:00Z").err())
                .contains("--since must be before --until");
        assertThat(events("backfill", "--since", "2026-12-04T10:00:00Z", "--account", "nobody").err())
                .contains("--account must be one of default");
        assertThat(events("republish", "--id", "'; DROP TABLE job_events; --").err()).contains("--id must be an event id");
        assertThat(events("parked", "--limit", "0").err()).contains("--limit must be 1 to 10000");
        assertThat(events("backfill", "--since", "2026-12-04T10:00:00Z", "--until", "+1000000000-12-31T23:59:59Z").err())
                .contains("must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z");
        assertThat(events("republish", "--id", UUID_NOT_PARKED, "--id", UUID_NOT_PARKED).out())
                .contains("0 parked event(s) put back in line (1 of the ids given are not parked)");
        Result terminalEscape = events("parked", "--limit", "\u001b]0;owned\u0007");
        assertThat(terminalEscape.err()).contains("--limit: '").doesNotContain("\u001b", "\u0007");
        Result unknownOption = events("backfill", "--since=-\u001b[31mx");
        assertThat(unknownOption.err()).doesNotContain("\u001b");
        for (String[] args : List.of(new String[0], new String[] {"backfill", "--since", "yesterday"},
                new String[] {"republish", "--id", "x"}, new String[] {"parked", "--limit", "0"},
                new String[] {"parked", "--limit", "\u001b]0;owned\u0007"},
                new String[] {"backfill", "--since", "2026-12-04T10:00:00Z", "--until", "+1000000000-12-31T23:59:59Z"})) {
            assertThat(events(args).code()).as(String.join(" ", args)).isEqualTo(EventsCommand.USAGE);
        }
    }

    @Test
    void the_parked_events_api_reads_its_query_as_api_jobs_does() {
        startApp();

        assertThat(Json.read(Http.get(app.url("/api/events/parked")).body())).containsEntry("total", 0);
        assertThat(Http.get(app.url("/api/events/parked?limit=0")).statusCode()).isEqualTo(400);
        assertThat(Http.get(app.url("/api/events/parked?limit=101")).body()).contains("limit must be <= 100");
        assertThat(Http.get(app.url("/api/events/parked?offset=1001")).body()).contains("offset must be <= 1000");
        assertThat(Http.get(app.url("/api/events/parked?account=nobody")).body()).contains("account must be one of default");
    }

    @Test
    void says_which_database_did_not_answer_without_its_password() {
        Map<String, String> settings = settings();
        settings.put("jobs.db.url", "jdbc:postgresql://127.0.0.1:1/nowhere?connectTimeout=1");
        settings.put("jobs.db.password", "s3cret-db-password");

        Result result = run(settings, "parked");

        assertThat(result.code()).isEqualTo(EventsCommand.FAILED);
        assertThat(result.err()).contains("events parked: the database").contains("did not answer")
                .doesNotContain("s3cret-db-password");
    }

    private Result events(String... args) {
        return run(settings(), args);
    }

    private Result run(Map<String, String> settings, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EventsCommand.run(args, Locations.properties(), settings, new PrintStream(out, true),
                new PrintStream(err, true), Clock.systemUTC());
        return new Result(code, out.toString(), err.toString());
    }

    private record Result(int code, String out, String err) {
    }
}
