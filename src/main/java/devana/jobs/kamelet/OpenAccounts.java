package devana.jobs.kamelet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import devana.jobs.config.AccountBeans;
import devana.jobs.config.AccountSettings;
import devana.jobs.config.JobsConfiguration;
import devana.jobs.config.Settings;
import devana.jobs.errors.FailureReport;
import devana.jobs.events.CloudEvents;
import devana.jobs.events.OutboxClaim;
import devana.jobs.poll.FullScans;
import devana.jobs.retry.RetryPolicy;
import devana.jobs.state.JobLedger;
import devana.jobs.state.Transactions;
import devana.jobs.text.RepeatedFailures;
import devana.jobs.traces.JobTraces;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accounts the Kamelets of a CamelContext have open, one per account and database: a devana-jobs-source and the
 * devana-jobs-retry-action of the same account and database share it, as the app's poll and retries do: one API budget
 * (polls and retries each within their share), one state, one retry claim per failed job; so they must agree on the
 * account's base URL, key, retries per target and budget. The last Kamelet to let go of an account closes its database
 * pool; a context stopped, or one that never started, leaves nothing open that another context would meet.
 */
final class OpenAccounts {

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.kamelet");
    private static final Map<String, OpenAccount> OPEN = new HashMap<>();

    private OpenAccounts() {
    }

    /** One open account: the app's beans for it, on its own database pool. */
    record OpenAccount(String key, Settings settings, AccountSettings account, HikariDataSource dataSource, Transactions tx,
                       JobLedger ledger, RetryPolicy retries, AccountBeans beans, OutboxClaim outboxClaim, FailureReport failures,
                       RepeatedFailures repeats, ObjectMapper mapper, int[] users) {
    }

    private static String key(CamelContext context, Settings settings) {
        return System.identityHashCode(context) + "|" + settings.accounts().get(0).name() + "@" + settings.dbUrl();
    }

    /** Refused when a Kamelet's settings differ from those of the account open already: one account, one set of rules. */
    private static void sameAccount(OpenAccount open, Settings settings, String kamelet) {
        AccountSettings account = settings.accounts().get(0);
        String differs = !Objects.equals(account.baseUrl(), open.account().baseUrl()) ? "baseUrl"
                : settings.maxAttempts() != open.settings().maxAttempts() ? "maxAttempts"
                : settings.rateLimitPerMinute() != open.settings().rateLimitPerMinute() ? "requestsPerMinute" : null;
        if (differs != null) {
            throw new Settings.InvalidSettingException(kamelet + ": account " + account.name() + " on "
                    + settings.dbUrlForDisplay() + " is open already with another " + differs + ": give every Kamelet of "
                    + "one account and database the same " + differs);
        }
    }

    /**
     * The open account of these settings (their only account), opened now if no Kamelet has it open. An account open
     * already with another API key is refused: one account, one key, one budget.
     *
     * @param keyParameter how the Kamelet's user gives the key, for the message of a 401
     */
    static synchronized OpenAccount open(CamelContext context, Settings settings, MeterRegistry metrics, String keyParameter) {
        AccountSettings account = settings.accounts().get(0);
        String key = key(context, settings);
        OpenAccount open = OPEN.get(key);
        if (open != null) {
            sameAccount(open, settings, keyParameter.substring(keyParameter.lastIndexOf(' ') + 1));
            if (account.apiKey() != null && !Objects.equals(account.apiKey(), open.account().apiKey())) {
                throw new IllegalArgumentException("account " + account.name() + " on " + settings.dbUrlForDisplay()
                        + " is already open in this process with another API key: give every Kamelet of one account the same key");
            }
            open.users()[0]++;
            return open;
        }
        open = create(key, settings, account, metrics, keyParameter);
        OPEN.put(key, open);
        LOG.info("devana-jobs account {} open for Kamelets: {} every {} ms at most, at most {} API requests/min, database {}",
                account.name(), account.baseUrl(), settings.pollIntervalMillis(), settings.rateLimitPerMinute(),
                settings.dbUrlForDisplay());
        return open;
    }

    /**
     * The open account of these settings, which a Kamelet with no API key of its own joins.
     *
     * @throws IllegalStateException when no Kamelet of this process has it open
     */
    static synchronized OpenAccount join(CamelContext context, Settings settings, String kamelet) {
        AccountSettings account = settings.accounts().get(0);
        OpenAccount open = OPEN.get(key(context, settings));
        if (open == null) {
            throw new IllegalStateException(kamelet + " has no apiKey parameter, and no devana-jobs-source of account "
                    + account.name() + " on " + settings.dbUrlForDisplay() + " runs in this process to share its key: give it apiKey");
        }
        sameAccount(open, settings, kamelet);
        open.users()[0]++;
        return open;
    }

    /** A Kamelet lets go of the account; the last one closes it. */
    static synchronized void release(OpenAccount open) {
        if (--open.users()[0] == 0) {
            OPEN.remove(open.key());
            open.dataSource().close();
            LOG.info("devana-jobs account {} closed (no Kamelet uses it any more)", open.account().name());
        }
    }

    private static OpenAccount create(String key, Settings settings, AccountSettings account, MeterRegistry metrics,
                                      String keyParameter) {
        HikariDataSource dataSource = JobsConfiguration.database(settings);
        Clock clock = Clock.systemUTC();
        ObjectMapper mapper = new ObjectMapper();
        RepeatedFailures repeats = new RepeatedFailures(clock);
        Transactions tx = new Transactions(dataSource);
        CloudEvents events = new CloudEvents(Map.of(account.name(), account.baseUrl()), mapper);
        // no traces from Kamelets: the route they run in has its own tracing, if any
        JobLedger ledger = new JobLedger(tx, events, mapper, metrics, clock, repeats, JobTraces.off());
        RetryPolicy retries = new RetryPolicy(tx, events, mapper, metrics, clock, settings.maxAttempts(), JobTraces.off());
        // one account, one process: its only full scans, and every call of the account is this process's
        AccountBeans beans = AccountBeans.of(settings, account, ledger, mapper, metrics, clock, new FullScans(1), true);
        return new OpenAccount(key, settings, account, dataSource, tx, ledger, retries, beans, new OutboxClaim(dataSource),
                new FailureReport(metrics, repeats, Map.of(account.name(), keyParameter)), repeats, mapper, new int[] {1});
    }
}
