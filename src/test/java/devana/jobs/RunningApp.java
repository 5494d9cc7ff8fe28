package devana.jobs;

import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.Main;

/**
 * The application exactly as it ships (DevanaJobs.create(): the top-level routes and properties),
 * started in this JVM against an emulator over real HTTP and a real H2 file database. Only
 * configuration differs from production, through the same override mechanism as the environment.
 */
public final class RunningApp implements AutoCloseable {

    public static final String EVENTS = "mock:devana-events";

    private final Main main;
    private final Thread thread;

    private RunningApp(Main main, Thread thread) {
        this.main = main;
        this.thread = thread;
    }

    public static Map<String, String> settings(DevanaEmulator emulator, Path dataDir) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("devana.base-url", emulator.baseUrl());
        settings.put("devana.api-key", emulator.apiKey());
        settings.put("devana.poll.interval", "2000");
        settings.put("devana.poll.initial-delay", "0");
        // polled at every interval, whatever happens (today's poller): the suites that test pacing set these back
        settings.put("devana.poll.idle-interval", "2000");
        settings.put("devana.poll.push-safety-interval", "2000");
        settings.put("jobs.db.url", "jdbc:h2:file:" + dataDir.resolve("devana-jobs").toAbsolutePath());
        settings.put("jobs.events.uri", EVENTS);
        settings.put("jobs.events.publish-interval", "100");
        settings.put("camel.server.port", String.valueOf(freePort()));
        return settings;
    }

    /** A port nobody listens on right now (tests never take the default 8080: others may run too). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static RunningApp start(Map<String, String> settings) {
        return start(settings, Map.of());
    }

    /** The app with these beans in its registry before it starts (an OpenTelemetry of the test's, say). */
    public static RunningApp start(Map<String, String> settings, Map<String, Object> beans) {
        Launch launch = launch(settings, beans);
        if (launch.failure.get() != null) {
            throw new IllegalStateException("the app did not start", launch.failure.get());
        }
        return new RunningApp(launch.main, launch.thread);
    }

    /**
     * Starts the app and returns what stopped it from starting: the messages of the failure and its causes,
     * one a line; null if it started after all (it is then stopped again).
     */
    public static String startupFailure(Map<String, String> settings) throws InterruptedException {
        Launch launch = launch(settings, Map.of());
        if (launch.failure.get() == null) {
            launch.main.completed();
            launch.thread.join(Duration.ofSeconds(30).toMillis());
            return null;
        }
        Throwable failure = launch.failure.get();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    /** The app as it ships, run in a thread of its own until it started or failed (30 s at most). */
    private static Launch launch(Map<String, String> settings, Map<String, Object> beans) {
        Main main = DevanaJobs.create();
        settings.forEach(main::addOverrideProperty);
        beans.forEach(main::bind);
        return launch(main, "devana-jobs-under-test");
    }

    /** A Camel Main (the app's, or another's) run in a thread of its own until it started or failed (30 s at most). */
    static Launch launch(Main main, String threadName) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                main.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, threadName);
        thread.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> failure.get() != null || started(main));
        return new Launch(main, thread, failure);
    }

    /** A started Main, or what stopped it from starting ({@code failure}). */
    record Launch(Main main, Thread thread, AtomicReference<Throwable> failure) {
    }

    private static boolean started(Main main) {
        CamelContext context = main.getCamelContext();
        return context != null && context.getStatus() == ServiceStatus.Started;
    }

    /** The app's HTTP server (webhook, dashboard, /api, /observe). */
    public String url(String path) {
        return "http://127.0.0.1:" + context().getPropertiesComponent().resolveProperty("camel.server.port").orElseThrow() + path;
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public DataSource dataSource() {
        return context().getRegistry().lookupByNameAndType("dataSource", DataSource.class);
    }

    public MockEndpoint events() {
        return context().getEndpoint(EVENTS, MockEndpoint.class);
    }

    /** The CloudEvents the bus received so far, as the bus got them (JSON text), in order. */
    public List<String> receivedEventTexts() {
        List<String> events = new ArrayList<>();
        for (Exchange exchange : new ArrayList<>(events().getReceivedExchanges())) {
            events.add(exchange.getMessage().getBody(String.class));
        }
        return events;
    }

    /** The CloudEvents the bus received so far, as parsed JSON maps, in order. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> receivedEvents() {
        List<Map<String, Object>> events = new ArrayList<>();
        for (Exchange exchange : new ArrayList<>(events().getReceivedExchanges())) {
            events.add(Json.read(exchange.getMessage().getBody(String.class)));
        }
        return events;
    }

    public List<Map<String, Object>> rows(String sql, Object... params) throws SQLException {
        try (Connection connection = dataSource().getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = statement.executeQuery()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                        row.put(rs.getMetaData().getColumnLabel(c).toLowerCase(), rs.getObject(c));
                    }
                    rows.add(row);
                }
                return rows;
            }
        }
    }

    public long count(String sql, Object... params) throws SQLException {
        return ((Number) rows(sql, params).get(0).values().iterator().next()).longValue();
    }

    public double counter(String name, String... tags) {
        var registry = context().getRegistry().lookupByNameAndType("metricsRegistry",
                io.micrometer.core.instrument.MeterRegistry.class);
        var search = registry.find(name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        return search.counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Override
    public void close() throws InterruptedException {
        main.completed();
        thread.join(Duration.ofSeconds(30).toMillis());
    }
}
