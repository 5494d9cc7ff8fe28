package devana.bench.jmh;

import devana.jobs.DevanaJobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.main.Main;

/**
 * devana-jobs booted in this JVM exactly as it ships (DevanaJobs.create(): the top-level routes and
 * properties) with changes made by AdviceWith, all outside the measured chain: the poll route
 * starts from direct:bench-poll instead of its timer, and its GET, like the retry look-up and the retry
 * POST, is answered in process (the page of the feed for offset 0, an empty page for anything else;
 * 202 for a POST) instead of over HTTP. Everything from parsing the answer to the outbox row runs as shipped.
 */
final class AppUnderBench implements AutoCloseable {

    static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final String EMPTY_PAGE = "{\"success\":true,\"data\":[]}";

    private final Main main;
    private final Thread thread;
    private final ProducerTemplate template;
    private final String db;
    private final String schema;
    private final Path dataDir;

    private AppUnderBench(Main main, Thread thread, ProducerTemplate template, String db, String schema, Path dataDir) {
        this.main = main;
        this.thread = thread;
        this.template = template;
        this.db = db;
        this.schema = schema;
        this.dataDir = dataDir;
    }

    static AppUnderBench boot(String db, Supplier<String> newestPage) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("devana.base-url", "http://127.0.0.1:9");
        settings.put("devana.api-key", "bench-key");
        // timers out of the way (the poll route gets its own trigger), and no budget to run out of
        settings.put("devana.poll.interval", "3600000");
        settings.put("devana.poll.initial-delay", "3600000");
        settings.put("devana.poll.full-scan-interval", "86400000");
        // the interval only keeps the timer away (the benchmark drives each cycle); pacing is left out below
        settings.put("devana.poll.idle-interval", "3600000");
        settings.put("devana.poll.push-safety-interval", "3600000");
        settings.put("jobs.health.max-poll-age", "7200000");
        settings.put("devana.rate-limit.per-minute", "100000000");
        settings.put("jobs.events.publish-interval", "3600000");
        Path dataDir = null;
        String schema = null;
        if (db.equals("h2")) {
            dataDir = Files.createTempDirectory("devana-bench-h2");
            settings.put("jobs.db.url", "jdbc:h2:file:" + dataDir.resolve("devana-jobs")
                    + System.getProperty("bench.h2.url-suffix", ""));
        } else if (db.equals("postgresql")) {
            schema = "bench_" + ProcessHandle.current().pid() + "_" + System.currentTimeMillis();
            try (Connection connection = DriverManager.getConnection(PG_URL, "postgres", "");
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE SCHEMA " + schema);
            }
            settings.put("jobs.db.url", PG_URL + "?currentSchema=" + schema);
            settings.put("jobs.db.user", "postgres");
        } else {
            throw new IllegalArgumentException("db is h2 or postgresql, not " + db);
        }
        Main main = DevanaJobs.create();
        settings.forEach(main::addOverrideProperty);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                main.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "devana-jobs-under-bench");
        thread.start();
        long end = System.nanoTime() + 60_000_000_000L;
        while (failure.get() == null && !started(main)) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("devana-jobs did not start within 60 s");
            }
            Thread.sleep(20);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("devana-jobs did not start", failure.get());
        }
        CamelContext context = main.getCamelContext();
        String experiment = System.getProperty("bench.db.after-boot-sql");
        if (experiment != null) {
            // diagnostics only (what-if runs while profiling), never part of a reported figure
            try (Connection connection = context.getRegistry().lookupByNameAndType("dataSource", javax.sql.DataSource.class)
                    .getConnection(); Statement statement = connection.createStatement()) {
                statement.execute(experiment.replace('+', ' '));
            }
        }
        AdviceWith.adviceWith(context, "poll-devana-jobs-every-interval", route -> {
            route.replaceFromWith("direct:bench-poll");
            // every cycle the benchmark asks for is run: no pacing
            route.weaveById("pace-the-poll").remove();
            // its GET /v1/jobs (inside the paging loop)
            route.weaveById("get-a-page-of-jobs").replace().process(exchange -> {
                String query = exchange.getMessage().getHeader(Exchange.HTTP_QUERY, String.class);
                exchange.getMessage().setBody("limit=100&offset=0".equals(query) ? newestPage.get() : EMPTY_PAGE);
                exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
            });
        });
        // a failure older than the app is looked up before its retry POST: no newer job for its target
        AdviceWith.adviceWith(context, "look-for-a-retry-already-accepted", route ->
                route.weaveById("get-the-jobs-of-the-target").replace().process(exchange -> {
                    exchange.getMessage().setBody(EMPTY_PAGE);
                    exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
                }));
        AdviceWith.adviceWith(context, "post-the-retry-request-to-the-devana-api", route ->
                route.weaveById("post-a-retry-request").replace().process(exchange -> {
                    exchange.getMessage().setBody("{\"success\":true}");
                    exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
                }));
        return new AppUnderBench(main, thread, context.createProducerTemplate(), db, schema, dataDir);
    }

    /** One poll cycle through the shipped poll route; fails loudly if the route abandoned the cycle. */
    void pollOnce() {
        Exchange done = template.send("direct:bench-poll", exchange -> { });
        if (done.getException() != null || done.getMessage().getHeader("failureKind") != null) {
            throw new IllegalStateException("poll cycle failed: " + done.getMessage().getHeader("failureLine"),
                    done.getException());
        }
    }

    long count(String table) throws Exception {
        javax.sql.DataSource dataSource = main.getCamelContext().getRegistry().lookupByNameAndType("dataSource",
                javax.sql.DataSource.class);
        try (Connection connection = dataSource.getConnection();
             ResultSet rs = connection.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** job_state rows by status and whether the API still shows them, e.g. {IN_PROGRESS shown=57, ...}. */
    Map<String, Long> activeRows() throws Exception {
        javax.sql.DataSource dataSource = main.getCamelContext().getRegistry().lookupByNameAndType("dataSource",
                javax.sql.DataSource.class);
        Map<String, Long> rows = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection();
             ResultSet rs = connection.createStatement().executeQuery("SELECT status, CASE WHEN gone_at IS NULL THEN 'shown' "
                     + "ELSE 'gone' END AS shown, COUNT(*) FROM job_state GROUP BY status, shown ORDER BY status, shown")) {
            while (rs.next()) {
                rows.put(rs.getString(1) + " " + rs.getString(2), rs.getLong(3));
            }
        }
        return rows;
    }

    private static boolean started(Main main) {
        CamelContext context = main.getCamelContext();
        return context != null && context.getStatus() == ServiceStatus.Started;
    }

    @Override
    public void close() throws Exception {
        main.completed();
        thread.join(30_000);
        if (schema != null) {
            try (Connection connection = DriverManager.getConnection(PG_URL, "postgres", "");
                 Statement statement = connection.createStatement()) {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
        if (dataDir != null) {
            devana.bench.Files2.deleteTree(dataDir);
        }
    }
}
