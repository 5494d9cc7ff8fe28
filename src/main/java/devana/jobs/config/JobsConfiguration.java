package devana.jobs.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.jobs.client.ApiBudget;
import devana.jobs.cluster.Leadership;
import devana.jobs.cluster.LeadershipWatch;
import devana.jobs.errors.FailureReport;
import devana.jobs.errors.LogMasking;
import devana.jobs.events.CloudEventBindings;
import devana.jobs.events.CloudEvents;
import devana.jobs.events.EventParking;
import devana.jobs.events.OutboxClaim;
import devana.jobs.health.ApiCheck;
import devana.jobs.health.BusCheck;
import devana.jobs.health.DatabaseCheck;
import devana.jobs.health.DatabaseProbe;
import devana.jobs.health.LeadershipCheck;
import devana.jobs.health.PollWatch;
import devana.jobs.http.RawRequests;
import devana.jobs.pacing.ExponentialBackoff;
import devana.jobs.pacing.FailurePause;
import devana.jobs.poll.FullScans;
import devana.jobs.retry.RetryPolicy;
import devana.jobs.state.JobLedger;
import devana.jobs.state.Transactions;
import devana.jobs.text.OneLine;
import devana.jobs.text.RepeatedFailures;
import devana.jobs.text.Secrets;
import devana.jobs.traces.JobTraces;
import devana.jobs.traces.Tracing;
import devana.jobs.views.AccountFilter;
import devana.jobs.views.DashboardAssets;
import devana.jobs.views.JobStatistics;
import devana.jobs.views.ParkedEventList;
import devana.jobs.views.TrackedJobs;
import devana.jobs.views.ViewerLogin;
import devana.jobs.webhook.WebhookReceiver;
import devana.jobs.webhook.WebhookSignature;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the beans the routes call. The one switch to the emulator lives here: no devana.base-url
 * means the embedded default (emulator + H2), so the same routes run unchanged against either.
 */
public class JobsConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(JobsConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        // before any route makes its pools: an idle scheduled pool's thread goes (a hundred accounts' leadership threads)
        context.getExecutorServiceManager().setThreadPoolFactory(
                new IdleThreadsLeave(context.getExecutorServiceManager().getThreadPoolFactory()));
        PropertiesComponent properties = context.getPropertiesComponent();
        Settings settings = Settings.read(properties);
        String viewerLogin = settings.service().viewerLogin();
        rememberSecrets(settings, viewerLogin);
        LogMasking.install();
        for (AccountSettings account : settings.accounts()) {
            String refusal = WebhookSignature.refusal(account.webhookSecret());
            if (refusal != null) {
                String key = AccountSettings.key(account.name(), "webhook-secret");
                throw new Settings.InvalidSettingException(key + " (" + Settings.variable(key) + ") " + refusal);
            }
        }
        long serverPort = settings.service().serverPort();
        // an account without a base URL runs against an embedded emulator of its own (the default one on
        // devana.emulator.port, the next ones on the ports after it)
        List<AccountSettings> running = new ArrayList<>();
        int emulators = 0;
        for (AccountSettings account : settings.accounts()) {
            if (account.embedded()) {
                DevanaEmulator emulator = startEmulator(settings.emulatorPort() + emulators++);
                stopOnShutdown(context, "emulator", emulator::close);
                LOG.info("No base URL for account {}: running it against an embedded Devana emulator at {} (set {} and {} "
                        + "for the real API)", account.name(), emulator.baseUrl(),
                        Settings.variable(AccountSettings.key(account.name(), "base-url")),
                        Settings.variable(AccountSettings.key(account.name(), "api-key")));
                if (account.webhookSecret() != null) {
                    // the whole loop in the demo: the emulator pushes signed webhooks to this app's receiver
                    emulator.sendWebhooks("http://127.0.0.1:" + serverPort + AccountRoutes.webhookPath(account.name()),
                            account.webhookSecret());
                }
                account = account.withApi(emulator.baseUrl(), emulator.apiKey());
                if (account.isDefault()) {
                    settings = settings.withApi(emulator.baseUrl(), emulator.apiKey());
                }
            }
            running.add(account);
        }
        settings = settings.withAccounts(running);
        if (settings.baseUrl() != null) {
            properties.addOverrideProperty("devana.base-url", settings.baseUrl());
        }
        properties.addOverrideProperty("jobs.webhook.replay-retention-hours", String.valueOf(settings.service().replayRetentionHours()));

        HikariDataSource dataSource = database(settings);
        stopOnShutdown(context, "database pool", dataSource::close);
        // H2 keeps its default write delay: a kill -9 may lose the last second of commits. What they held
        // comes back from the API on the next poll (the same event ids), and a retry claim lost that way
        // is caught before anything is sent again (RetryPolicy looks up failures older than this run).

        Clock clock = Clock.systemUTC();
        ObjectMapper mapper = new ObjectMapper();
        Registry registry = context.getRegistry();
        PrometheusMeterRegistry metrics = metricsRegistry(registry);
        RepeatedFailures repeats = new RepeatedFailures(clock);
        Transactions tx = new Transactions(dataSource);
        Map<String, String> baseUrls = new LinkedHashMap<>();
        settings.accounts().forEach(account -> baseUrls.put(account.name(), account.baseUrl()));
        CloudEvents events = new CloudEvents(baseUrls, mapper);
        // Leader election: the cluster service, and what this instance leads as readiness reads it.
        Leadership leadership = settings.service().leadership();
        CamelClusterService cluster = leadership.service(memberId());
        context.addService(cluster, true, true);
        LeadershipWatch leaders = new LeadershipWatch(context, cluster);
        context.addService(leaders, true, true);
        boolean alone = leadership instanceof Leadership.Solo;
        // the publisher while the bus is down: 1 s, 2 s, 4 s ... with jitter, capped
        FailurePause busPause = new FailurePause(clock, ExponentialBackoff.withJitter(Duration.ofSeconds(1),
                Duration.ofMillis(settings.service().eventsBackoffMaxMillis())));
        // what the readiness checks and this gauge ask the database, bounded in time (see DatabaseProbe)
        DatabaseProbe databaseProbe = new DatabaseProbe(dataSource);
        stopOnShutdown(context, "database probe", databaseProbe::close);
        Gauge.builder("devana.events.pending", databaseProbe, DatabaseProbe::pendingEventsOrNaN)
                .description("CloudEvents in the outbox not yet taken by the bus").register(metrics);
        Gauge.builder("devana.events.parked", databaseProbe, DatabaseProbe::parkedEventsOrNaN)
                .description("CloudEvents the bus refused for good, parked until an operator re-publishes them").register(metrics);

        // what the HTTP server's guard takes from the registry when it starts (see GuardedHttpServer)
        RawRequests rawRequests = new RawRequests();
        registry.bind("httpLimits", settings.service().http());
        registry.bind("rawRequests", rawRequests);
        registry.bind("repeatedFailures", repeats);
        registry.bind("settings", settings);
        registry.bind("dataSource", dataSource);
        registry.bind("metricsRegistry", metrics);
        String eventsUri = settings.service().eventsUri();
        JobTraces traces = traces(context, settings, eventsUri);
        registry.bind("jobTraces", traces);
        JobLedger ledger = new JobLedger(tx, events, mapper, metrics, clock, repeats, traces);
        Map<String, String> keyVariables = new LinkedHashMap<>();
        settings.accounts().forEach(account ->
                keyVariables.put(account.name(), Settings.variable(AccountSettings.key(account.name(), "api-key"))));
        registry.bind("failureReport", new FailureReport(metrics, repeats, keyVariables));
        registry.bind("jobLedger", ledger);
        registry.bind("retryPolicy", new RetryPolicy(tx, events, mapper, metrics, clock, settings.maxAttempts(), traces));
        registry.bind("busPause", busPause);
        registry.bind("eventParking", new EventParking(tx, busPause, settings.service().parkAfterRefusals(), clock));
        registry.bind("outboxClaim", new OutboxClaim(dataSource));
        registry.bind("cloudEventBindings", new CloudEventBindings(eventsUri, mapper));
        registry.bind("dashboardAssets", new DashboardAssets());
        try {
            registry.bind("viewerLogin", new ViewerLogin(viewerLogin, metrics));
        } catch (IllegalArgumentException e) {
            throw new Settings.InvalidSettingException(e.getMessage());
        }
        AccountFilter accountFilter = new AccountFilter(settings.accounts().stream().map(AccountSettings::name).toList());
        registry.bind("trackedJobs", new TrackedJobs(dataSource, mapper, accountFilter));
        registry.bind("parkedEventList", new ParkedEventList(dataSource, mapper, accountFilter));
        // Each account's own beans, named after it (the account's routes name them: pollPlanner-<account> ...), and
        // its readiness check (camel-health picks the checks up from the registry, /observe/health/ready serves them).
        Duration maxPollAge = Duration.ofMillis(settings.service().maxPollAgeMillis());
        Map<String, PollWatch> pollWatches = new LinkedHashMap<>();
        List<String> webhooksOn = new ArrayList<>();
        FullScans fullScans = new FullScans(settings.fullScansAtOnce()); // shared: the limit is the process's
        for (AccountSettings account : settings.accounts()) {
            String name = account.name();
            AccountBeans beans = AccountBeans.of(settings, account, ledger, mapper, metrics, clock, fullScans, alone);
            ApiBudget budget = beans.budget();
            registry.bind("apiBudget-" + name, budget);
            // the account's Devana endpoints name one of these two: which share of its budget their calls draw from
            registry.bind("devanaPollClient-" + name, beans.pollClient());
            registry.bind("devanaRetryClient-" + name, beans.retryClient());
            PollWatch pollWatch = new PollWatch(clock);
            pollWatches.put(name, pollWatch);
            registry.bind("pollWatch-" + name, pollWatch);
            registry.bind("pollPacing-" + name, beans.pacing());
            registry.bind("pollPlanner-" + name, beans.planner());
            WebhookReceiver webhooks = new WebhookReceiver(name, account.webhookSecret(),
                    Settings.variable(AccountSettings.key(name, "webhook-secret")), mapper, metrics, rawRequests, clock, repeats);
            registry.bind("webhookReceiver-" + name, webhooks);
            if (webhooks.enabled()) {
                webhooksOn.add(name);
            }
            registry.bind("apiCheck-" + name, new ApiCheck(name, pollWatch, budget, clock, maxPollAge, account.baseUrl()));
        }
        // the one the webhooks' error handler (a route configuration, shared) answers with: it counts the push for the
        // account the route set
        registry.bind("webhookReceiver", registry.lookupByName("webhookReceiver-" + settings.accounts().get(0).name()));
        registry.bind("accountRoutes", new AccountRoutes(settings.accounts()));
        registry.bind("jobStatistics", new JobStatistics(dataSource, mapper, clock, pollWatches));
        registry.bind("databaseCheck", new DatabaseCheck(databaseProbe));
        registry.bind("leadershipCheck", new LeadershipCheck(leaders, leadership.describe()));
        registry.bind("busCheck", new BusCheck(busPause, databaseProbe::pendingEvents, databaseProbe::parkedEvents,
                eventsUri.isEmpty() ? "log" : eventsUri));
        LOG.info("devana-jobs: polling {} every {} ms ({}), at most {} API requests/min ({}% kept for retries), "
                        + "at most {} retries per target, database {}, webhook {}, leader election {}",
                accountsForDisplay(settings.accounts()), settings.pollIntervalMillis(), settings.incrementalPolling() ? "incremental" : "full scans",
                settings.rateLimitPerMinute(), Math.round(settings.retryShare() * 100), settings.maxAttempts(),
                settings.dbUrlForDisplay(), webhookState(settings, webhooksOn),
                leadership.describe());
        LOG.info("dashboard at http://localhost:{}/ (also /api/stats, /api/jobs, /webhook/job-status, /observe/health, "
                + "/observe/metrics)", serverPort);
    }

    /** The accounts polled, as the start line shows them: the base URL alone for the default account only. */
    private static String accountsForDisplay(List<AccountSettings> accounts) {
        if (accounts.size() == 1 && accounts.get(0).isDefault()) {
            return accounts.get(0).baseUrl();
        }
        StringJoiner shown = new StringJoiner(", ", accounts.size() + " accounts (", ")");
        accounts.forEach(account -> shown.add(account.name() + " at " + account.baseUrl()));
        return shown.toString();
    }

    private static String webhookState(Settings settings, List<String> on) {
        if (on.isEmpty()) {
            return settings.accounts().size() == 1 && settings.accounts().get(0).isDefault()
                    ? "off (no DEVANA_WEBHOOK_SECRET)" : "off (no account has a webhook secret)";
        }
        return on.size() == settings.accounts().size() && on.size() == 1 ? "on" : "on for " + String.join(", ", on);
    }

    /**
     * The job changes' traces when camel.opentelemetry2.enabled, on the OpenTelemetry that Tracing gave Camel's tracer;
     * off, they record nothing.
     */
    private static JobTraces traces(CamelContext context, Settings settings, String eventsUri) {
        if (!settings.service().traces()) {
            return JobTraces.off();
        }
        LOG.info("traces on: Camel's spans and one trace per job change, exported as the OTEL_* variables say (by OTLP "
                + "unless they say otherwise)");
        return new JobTraces(Tracing.openTelemetry(context.getRegistry()), Tracing.scheme(eventsUri));
    }

    /** Every secret the process was given, so that no text leaving it can carry one (see Secrets). */
    private static void rememberSecrets(Settings settings, String viewerLogin) {
        Secrets.remember(settings.apiKey());
        Secrets.remember(settings.dbPassword());
        for (AccountSettings account : settings.accounts()) {
            Secrets.remember(account.apiKey());
            Secrets.remember(account.webhookSecret());
        }
        if (viewerLogin != null && viewerLogin.indexOf(':') > 0) {
            Secrets.remember(viewerLogin.substring(viewerLogin.indexOf(':') + 1));
        }
    }

    /** This instance among others: its host and process, as the cluster services and readiness name it. */
    private static String memberId() {
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        if (host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "localhost";
            }
        }
        return OneLine.printable(host, 60).replaceAll("[^A-Za-z0-9.-]", "-") + "-" + ProcessHandle.current().pid();
    }

    private static DevanaEmulator startEmulator(int port) {
        try {
            return DevanaEmulator.start(EmulatorOptions.demo().withPort(port));
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof BindException) {
                throw new Settings.InvalidSettingException("port " + port + " of the embedded emulator "
                        + "is in use: stop what listens there, or set devana.emulator.port (DEVANA_EMULATOR_PORT) to a free port");
            }
            throw e;
        }
    }

    /**
     * The Prometheus registry scraped at /observe/metrics, under the name the micrometer: endpoints
     * use. The devana.* meters drop Camel's camelContext tag: one context per process, and Prometheus
     * needs every meter of a name to carry the same tag keys, whether a route or a bean counts it.
     */
    private static PrometheusMeterRegistry metricsRegistry(Registry registry) {
        PrometheusMeterRegistry metrics = registry.lookupByNameAndType("metricsRegistry", PrometheusMeterRegistry.class);
        if (metrics == null) {
            metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            registry.bind("metricsRegistry", metrics);
        }
        metrics.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (!id.getName().startsWith("devana.") || id.getTag("camelContext") == null) {
                    return id;
                }
                List<Tag> tags = id.getTags().stream().filter(tag -> !"camelContext".equals(tag.getKey())).toList();
                return id.replaceTags(tags);
            }
        });
        return metrics;
    }

    /** The pool of jobs.db.*, its tables created or brought up to date (db/migration): the app's, or a command's. */
    public static HikariDataSource database(Settings settings) {
        HikariDataSource dataSource = dataSource(settings);
        try {
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
            return dataSource;
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    private static HikariDataSource dataSource(Settings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("devana-jobs");
        config.setJdbcUrl(settings.dbUrl());
        config.setUsername(settings.dbUser());
        config.setPassword(settings.dbPassword());
        config.setMaximumPoolSize(settings.dbPoolSize());
        config.setConnectionTimeout(5000);
        config.setInitializationFailTimeout(10_000);
        return new HikariDataSource(config);
    }

    private static void stopOnShutdown(CamelContext context, String name, Runnable stop) throws Exception {
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                stop.run();
                LOG.debug("{} closed", name);
            }
        }, true, true);
    }
}
