package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.RecordedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The poll's pacing over real HTTP (PollPacing): an idle account is asked less and less often and back at the
 * interval once something happens; while pushes keep coming, a poll comes only as a safety net. Each cycle asks for the
 * newest page once, so the gaps between those requests are the gaps between cycles. The poll interval is 2 s; a tick
 * may come up to a second early or late.
 */
class PollPacingTest extends AppOnEmulatorTest {

    private static final String SECRET = "whsec-pacing-7c41d9e2";

    @Test
    void an_idle_account_is_polled_less_and_less_often_and_at_the_interval_again_once_a_job_appears() throws Exception {
        emulator.job().type("EXTRACTION").status("DONE").progress(100).add();
        startApp(Map.of("devana.poll.idle-interval", "8000"));

        // 2 s, then 4, 8, 8 ...: twice in a row the gap reaches the idle interval, and never more
        await().atMost(Duration.ofSeconds(40)).until(() -> lastGaps(2).stream().allMatch(gap -> gap >= 7000));
        assertThat(cycleGaps()).allMatch(gap -> gap <= 9500);
        int before = cycles().size();
        Instant created = Instant.now();
        String appeared = emulator.job().type("SYNC").status("PENDING").add();

        // seen within the idle interval (and a tick), then polled at the interval while it is pending
        await().atMost(Duration.ofMillis(8000 + 2000 + 1500))
                .until(() -> app.count("SELECT COUNT(*) FROM job_state WHERE job_id = ?", appeared) == 1);
        System.out.println("PollPacingTest: a new job on an idle account seen "
                + Duration.between(created, Instant.now()).toMillis() + " ms after it was created");
        await().atMost(Duration.ofSeconds(12)).until(() -> cycles().size() >= before + 4
                && lastGaps(2).stream().allMatch(gap -> gap <= 3000));
    }

    @Test
    void pushes_that_keep_coming_are_the_detection_and_polling_returns_once_they_stop() throws Exception {
        emulator.job().type("EXTRACTION").status("IN_PROGRESS").progress(5).add();
        startApp(Map.of("devana.webhook.secret", SECRET, "devana.poll.push-safety-interval", "10000"));
        emulator.sendWebhooks(app.url("/webhook/job-status"), SECRET);
        await().atMost(Duration.ofSeconds(10)).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 1);

        // a new job every 1.5 s, each pushed as it appears
        ScheduledExecutorService uploads = Executors.newSingleThreadScheduledExecutor();
        try {
            uploads.scheduleAtFixedRate(() -> {
                emulator.pushWebhook(emulator.job().type("SYNC").status("PENDING").add());
            }, 0, 1500, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(50)).until(() -> lastGaps(2).stream().allMatch(gap -> gap >= 9000));
        } finally {
            uploads.shutdownNow();
            uploads.awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(emulator.webhookDeliveries()).as("every push accepted").allMatch(delivery -> delivery.httpStatus() == 202);
        assertThat(app.count("SELECT COUNT(*) FROM job_state")).as("the pushes recorded every new job")
                .isEqualTo(1 + emulator.webhookDeliveries().size());
        int before = cycles().size();

        // no push for the safety interval: the job is still running, so it is polled at the interval again
        await().atMost(Duration.ofSeconds(30)).until(() -> cycles().size() >= before + 4
                && lastGaps(2).stream().allMatch(gap -> gap <= 3000));
    }

    /** When each cycle began: its request for the newest page. */
    private List<Instant> cycles() {
        List<Instant> starts = new ArrayList<>();
        for (RecordedRequest request : emulator.requests()) {
            String query = request.query() == null ? "" : request.query();
            if ("GET".equals(request.method()) && request.path().endsWith("/v1/jobs") && query.contains("offset=0")
                    && !query.contains("type=") && !query.contains("targetId=")) {
                starts.add(request.at());
            }
        }
        return starts;
    }

    private List<Long> cycleGaps() {
        List<Instant> starts = cycles();
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < starts.size(); i++) {
            gaps.add(Duration.between(starts.get(i - 1), starts.get(i)).toMillis());
        }
        return gaps;
    }

    /** The last {@code n} gaps between cycles (fewer while there are not that many). */
    private List<Long> lastGaps(int n) {
        List<Long> gaps = cycleGaps();
        return gaps.size() < n ? List.of(-1L) : gaps.subList(gaps.size() - n, gaps.size());
    }
}
