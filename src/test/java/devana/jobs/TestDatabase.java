package devana.jobs;

import devana.jobs.services.Service;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The database a test runs the app on, as the jobs.db.* settings that point the app at it: an H2 file
 * in the test's folder, or a schema of its own in the local PostgreSQL, created empty for the test
 * and dropped after it, so the migrations run from scratch each time as on a new installation.
 */
public interface TestDatabase extends AutoCloseable {

    Map<String, String> settings();

    @Override
    void close() throws SQLException;

    static TestDatabase h2(Path dataDir) {
        String url = "jdbc:h2:file:" + dataDir.resolve("devana-jobs").toAbsolutePath();
        return new TestDatabase() {
            @Override
            public Map<String, String> settings() {
                return Map.of("jobs.db.url", url);
            }

            @Override
            public void close() {
            }

            @Override
            public String toString() {
                return url;
            }
        };
    }

    /** A new empty schema in the database {@code test} of the PostgreSQL on 127.0.0.1 (skipped where there is none). */
    static TestDatabase postgresql() throws SQLException {
        Service.POSTGRESQL.require();
        return new PostgresqlSchema();
    }

    final class PostgresqlSchema implements TestDatabase {
        static final String URL = "jdbc:postgresql://" + Service.HOST + ":" + Service.POSTGRESQL.port() + "/test";
        static final String USER = "postgres";

        private final String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);

        PostgresqlSchema() throws SQLException {
            execute("CREATE SCHEMA " + schema);
        }

        @Override
        public Map<String, String> settings() {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("jobs.db.url", URL + "?currentSchema=" + schema);
            settings.put("jobs.db.user", USER);
            return settings;
        }

        /** The same settings with the server reached at another port of 127.0.0.1 (a {@link DatabaseRelay}). */
        public Map<String, String> settingsThrough(int port) {
            Map<String, String> settings = settings();
            settings.put("jobs.db.url", "jdbc:postgresql://" + Service.HOST + ":" + port + "/test?currentSchema=" + schema);
            return settings;
        }

        @Override
        public void close() throws SQLException {
            execute("DROP SCHEMA " + schema + " CASCADE");
        }

        @Override
        public String toString() {
            return URL + " schema " + schema;
        }

        private static void execute(String sql) throws SQLException {
            try (Connection connection = DriverManager.getConnection(URL, USER, null);
                 Statement statement = connection.createStatement()) {
                statement.execute(sql);
            }
        }
    }
}
