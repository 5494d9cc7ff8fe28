package devana.jobs.health;

import devana.jobs.client.ApiBudget;
import devana.jobs.contract.AccountName;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;

/**
 * Readiness: the Devana API was polled successfully (every page of a cycle read) no longer than
 * {@code maxAge} ago. A wrong key, an unreachable API or a long 429 pause turns it DOWN. (Messages
 * carry no URL: the health endpoint escapes slashes twice; the URL is in the details.) An instance that does not poll
 * the account now (another leads it: ApiBudget.pollsHere) has nothing to answer for: UP, and it says so.
 */
public class ApiCheck extends ReadinessCheck {

    private final PollWatch polls;
    private final ApiBudget budget;
    private final Clock clock;
    private final Duration maxAge;
    private final String baseUrl;
    private final String account;

    /** The check of {@code account}'s polling: devana-api for the default account, devana-api-NAME for another. */
    public ApiCheck(String account, PollWatch polls, ApiBudget budget, Clock clock, Duration maxAge, String baseUrl) {
        super(AccountName.DEFAULT.equals(account) ? "devana-api" : "devana-api-" + account);
        this.account = account;
        this.polls = polls;
        this.budget = budget;
        this.clock = clock;
        this.maxAge = maxAge;
        this.baseUrl = baseUrl;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Instant now = clock.instant();
        Instant last = polls.lastSuccess();
        builder.detail("account", account);
        builder.detail("api.url", baseUrl);
        builder.detail("poll.max.age.seconds", maxAge.toSeconds());
        if (!budget.pollsHere()) {
            builder.detail("polls.here", false);
            builder.message("another instance leads the polling of this account").up();
            return;
        }
        if (budget.isPaused()) {
            builder.detail("rate.limited.until", budget.pausedUntil().toString());
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
