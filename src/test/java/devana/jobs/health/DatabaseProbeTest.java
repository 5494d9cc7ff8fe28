package devana.jobs.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The probe's bounds on a real H2 database behind a DataSource whose getConnection can be made to hang, as a
 * pool waits for a connection a database does not give: the caller waits for the patience at most, the
 * callers meanwhile hear at once, one round at a time asks, and the answer comes back by itself.
 */
class DatabaseProbeTest {

    private final JdbcDataSource h2 = new JdbcDataSource();
    private final HangingDataSource dataSource = new HangingDataSource(h2);
    private DatabaseProbe probe;

    @BeforeEach
    void migrate() {
        h2.setURL("jdbc:h2:mem:probe" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        Flyway.configure().dataSource(h2).locations("classpath:db/migration").load().migrate();
        probe = new DatabaseProbe(dataSource);
    }

    @AfterEach
    void close() {
        dataSource.release();
        probe.close();
    }

    @Test
    void answers_at_once_while_the_database_answers() {
        assertThat(timed(probe::unanswered).millis()).isLessThan(250);
        assertThat(probe.unanswered()).isNull();
        assertThat(probe.pendingEvents()).isZero();
        assertThat(probe.pendingEventsOrNaN()).isZero();
    }

    @Test
    void waits_the_patience_once_then_answers_at_once_with_one_round_in_flight_and_comes_back_alone() {
        dataSource.hang();

        Timed<String> first = timed(probe::unanswered);
        assertThat(first.value()).isEqualTo("database did not answer within 500 ms");
        assertThat(first.millis()).isBetween(450L, 900L);
        Timed<String> second = timed(probe::unanswered);
        assertThat(second.value()).isEqualTo("database did not answer within 500 ms");
        assertThat(second.millis()).isLessThan(250);
        Timed<Double> gauge = timed(probe::pendingEventsOrNaN);
        assertThat(gauge.value()).isNaN();
        assertThat(gauge.millis()).isLessThan(250);
        assertThatThrownBy(probe::pendingEvents).isInstanceOf(IllegalStateException.class)
                .hasMessage("database did not answer within 500 ms");
        assertThat(dataSource.asked()).as("rounds that asked for a connection").isEqualTo(1);

        dataSource.fail("Connection refused");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> "database unavailable: SQLException: Connection refused".equals(probe.unanswered()));
        dataSource.release();
        await().atMost(Duration.ofSeconds(5)).until(() -> probe.unanswered() == null);
        assertThat(probe.pendingEvents()).isZero();
    }

    private static <T> Timed<T> timed(Supplier<T> call) {
        long start = System.nanoTime();
        T value = call.get();
        return new Timed<>(value, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private record Timed<T>(T value, long millis) {
    }

    /** H2, with a getConnection that can hang until released, or fail. */
    private static final class HangingDataSource implements DataSource {
        private final DataSource database;
        private final AtomicInteger asked = new AtomicInteger();
        private volatile CountDownLatch hanging = new CountDownLatch(0);
        private volatile String failure;

        HangingDataSource(DataSource database) {
            this.database = database;
        }

        void hang() {
            hanging = new CountDownLatch(1);
        }

        /** The hanging getConnection fails, and so do the next ones. */
        void fail(String message) {
            failure = message;
            hanging.countDown();
        }

        void release() {
            failure = null;
            hanging.countDown();
        }

        int asked() {
            return asked.get();
        }

        @Override
        public Connection getConnection() throws SQLException {
            asked.incrementAndGet();
            try {
                hanging.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted", e);
            }
            if (failure != null) {
                throw new SQLException(failure);
            }
            return database.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }
}
