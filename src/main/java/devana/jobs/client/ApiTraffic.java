package devana.jobs.client;

import devana.jobs.contract.MetricTags;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Every answer of the Devana API, counted by HTTP status (devana.api.responses), and the request
 * budget left in the rolling minute (devana.api.budget.remaining): the API allows 100 requests per
 * minute per key, and every answer, a 429 included, was counted by it.
 */
public class ApiTraffic {

    public static final int REQUESTS_PER_MINUTE = 100;
    private static final Duration WINDOW = Duration.ofMinutes(1);

    private final Clock clock;
    private final MeterRegistry metrics;
    private final Deque<Instant> lastMinute = new ArrayDeque<>();

    public ApiTraffic(Clock clock, MeterRegistry metrics) {
        this.clock = clock;
        this.metrics = metrics;
        Gauge.builder("devana.api.budget.remaining", this, ApiTraffic::remaining)
                .description("Devana API requests left in the rolling minute (100 per minute per key)")
                .register(metrics);
    }

    /** One answer of the API, whatever its status. */
    public void answered(int status) {
        metrics.counter("devana.api.responses", "status", MetricTags.httpStatus(status)).increment();
        synchronized (lastMinute) {
            prune(clock.instant());
            lastMinute.addLast(clock.instant());
        }
    }

    /** Requests this process may still send in the rolling minute. */
    public int remaining() {
        synchronized (lastMinute) {
            prune(clock.instant());
            return Math.max(0, REQUESTS_PER_MINUTE - lastMinute.size());
        }
    }

    private void prune(Instant now) {
        Instant start = now.minus(WINDOW);
        while (!lastMinute.isEmpty() && !lastMinute.peekFirst().isAfter(start)) {
            lastMinute.pollFirst();
        }
    }
}
