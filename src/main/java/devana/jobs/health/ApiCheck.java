package devana.jobs.health;

import devana.jobs.client.ApiBudget;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: the Devana API was polled successfully (every page of a cycle read) no longer than
 * {@code maxAge} ago. A wrong key, an unreachable API or a long 429 pause turns it DOWN. (Messages
 * carry no URL: the health endpoint escapes slashes twice; the URL is in the details.)
 */
public class ApiCheck extends AbstractHealthCheck {

    private final PollWatch polls;
    private final ApiBudget gate;
    private final Clock clock;
    private final Duration maxAge;
    private final String baseUrl;

    public ApiCheck(PollWatch polls, ApiBudget gate, Clock clock, Duration maxAge, String baseUrl) {
        super("devana-jobs", "devana-api");
        this.polls = polls;
        this.gate = gate;
        this.clock = clock;
        this.maxAge = maxAge;
        this.baseUrl = baseUrl;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Instant now = clock.instant();
        Instant last = polls.lastSuccess();
        builder.detail("api.url", baseUrl);
        builder.detail("poll.max.age.seconds", maxAge.toSeconds());
        if (gate.isPaused()) {
            builder.detail("rate.limited.until", gate.pausedUntil().toString());
        }
        if (last == null) {
            builder.message("no successful poll of the Devana API yet").down();
            return;
        }
        long age = Duration.between(last, now).toSeconds();
        builder.detail("last.successful.poll", last.toString());
        builder.detail("last.successful.poll.age.seconds", age);
        if (Duration.between(last, now).compareTo(maxAge) > 0) {
            builder.message("no successful poll of the Devana API for " + age + " s (allowed: "
                    + maxAge.toSeconds() + " s)").down();
        } else {
            builder.up();
        }
    }
}
