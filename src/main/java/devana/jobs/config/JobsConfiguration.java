package devana.jobs.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import devana.jobs.api.ApiGate;
import devana.jobs.api.DevanaApiAuth;
import devana.jobs.api.PollPlanner;
import devana.jobs.emulator.DevanaEmulator;
import devana.jobs.emulator.EmulatorOptions;
import devana.jobs.errors.FailureReport;
import devana.jobs.events.Backoff;
import devana.jobs.events.CloudEventBindings;
import devana.jobs.events.CloudEvents;
import devana.jobs.retry.RetryPolicy;
import devana.jobs.state.JobLedger;
import devana.jobs.state.Transactions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
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
        Settings settings = Settings.read(context.getPropertiesComponent());
        if (settings.embedded()) {
            DevanaEmulator emulator = DevanaEmulator.start(EmulatorOptions.demo().withPort(settings.emulatorPort()));
            stopOnShutdown(context, "emulator", emulator::close);
            settings = settings.withApi(emulator.baseUrl(), emulator.apiKey());
            LOG.info("No devana.base-url set: running against the embedded Devana emulator at {} "
                    + "(set DEVANA_BASE_URL and DEVANA_API_KEY for the real API)", emulator.baseUrl());
        }
        context.getPropertiesComponent().addOverrideProperty("devana.base-url", settings.baseUrl());

        HikariDataSource dataSource = dataSource(settings);
        stopOnShutdown(context, "database pool", dataSource::close);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        if (settings.dbUrl().startsWith("jdbc:h2:")) {
            // H2 otherwise writes commits up to a second late: a kill -9 would lose committed claims.
            try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
                statement.execute("SET WRITE_DELAY 0");
            }
        }

        Clock clock = Clock.systemUTC();
        ObjectMapper mapper = new ObjectMapper();
        MeterRegistry metrics = new SimpleMeterRegistry();
        Transactions tx = new Transactions(dataSource);
        CloudEvents events = new CloudEvents(settings.baseUrl(), mapper);

        Registry registry = context.getRegistry();
        registry.bind("settings", settings);
        registry.bind("dataSource", dataSource);
        registry.bind("metricsRegistry", metrics);
        registry.bind("devanaApiAuth", new DevanaApiAuth(settings.apiKey()));
        ApiGate gate = new ApiGate(clock, metrics, settings.rateLimitPerMinute(), settings.retryShare(),
                Duration.ofMillis(settings.backoffBaseMillis()), Duration.ofMillis(settings.backoffMaxMillis()));
        JobLedger ledger = new JobLedger(tx, events, mapper, metrics, clock);
        registry.bind("apiGate", gate);
        registry.bind("failureReport", new FailureReport(metrics));
        registry.bind("jobLedger", ledger);
        registry.bind("pollPlanner", new PollPlanner(mapper, gate, ledger, clock, settings.incrementalPolling(),
                Duration.ofMillis(settings.fullScanMillis())));
        registry.bind("retryPolicy", new RetryPolicy(tx, events, mapper, metrics, clock, settings.maxAttempts()));
        long busBackoffMax = Long.parseLong(context.getPropertiesComponent().resolveProperty("jobs.events.backoff-max")
                .orElse("60000").trim());
        registry.bind("busBackoff", new Backoff(clock, Duration.ofMillis(busBackoffMax)));
        String eventsUri = context.getPropertiesComponent().resolveProperty("jobs.events.uri").orElse("");
        registry.bind("cloudEventBindings", new CloudEventBindings(eventsUri, mapper));
        LOG.info("devana-jobs: polling {} every {} ms ({}), at most {} API requests/min ({}% kept for retries), "
                        + "at most {} retries per target, database {}",
                settings.baseUrl(), settings.pollIntervalMillis(), settings.incrementalPolling() ? "incremental" : "full scans",
                settings.rateLimitPerMinute(), Math.round(settings.retryShare() * 100), settings.maxAttempts(), settings.dbUrl());
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
