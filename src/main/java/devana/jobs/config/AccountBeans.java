package devana.jobs.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.client.ApiBudget;
import devana.jobs.client.DevanaApiClient;
import devana.jobs.poll.FullScans;
import devana.jobs.poll.PollPacing;
import devana.jobs.poll.PollPlanner;
import devana.jobs.state.JobLedger;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;

/**
 * The beans one Devana account is polled and retried with: its API budget, the two clients that draw from it (polls and
 * retries), its pacing and its poll planner. The app makes them for each account of devana.accounts, a Kamelet for the
 * account it is given, both here, so that an account is polled by the same rules wherever it runs.
 *
 * @param budget      the account's one budget of API requests, taken by both clients
 * @param pollClient  the client of the account's poll (GET /v1/jobs), from the poll share
 * @param retryClient the client of its retry POSTs and their look-ups, from the retry share
 */
public record AccountBeans(ApiBudget budget, DevanaApiClient pollClient, DevanaApiClient retryClient, PollPacing pacing,
                           PollPlanner planner) {

    /**
     * @param alone whether this process makes every call of the account; among several instances (false), the one whose
     *              poll asked within two intervals and a second (it runs on the account's leader only) makes them
     */
    public static AccountBeans of(Settings settings, AccountSettings account, JobLedger ledger, ObjectMapper mapper,
                                  MeterRegistry metrics, Clock clock, FullScans fullScans, boolean alone) {
        String name = account.name();
        ApiBudget budget = new ApiBudget(name, clock, metrics, settings.rateLimitPerMinute(), settings.retryShare(),
                Duration.ofMillis(settings.backoffBaseMillis()), Duration.ofMillis(settings.backoffMaxMillis()),
                alone ? null : Duration.ofMillis(2 * settings.pollIntervalMillis() + 1000));
        PollPacing pacing = new PollPacing(name, ledger.activity(), budget, clock, Duration.ofMillis(settings.pollIntervalMillis()),
                Duration.ofMillis(settings.idleIntervalMillis()), Duration.ofMillis(settings.pushSafetyMillis()));
        return new AccountBeans(budget,
                new DevanaApiClient(account.apiKey(), account.baseUrl(), budget, ApiBudget.Caller.POLL),
                new DevanaApiClient(account.apiKey(), account.baseUrl(), budget, ApiBudget.Caller.RETRY),
                pacing,
                new PollPlanner(mapper, ledger, clock, name, pacing, settings.incrementalPolling(),
                        Duration.ofMillis(settings.fullScanMillis()), fullScans));
    }
}
