package devana.jobs.state;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collections;
import javax.sql.DataSource;

/** Plain JDBC in one transaction, with the one idiom H2 and PostgreSQL both support: insert-if-absent. */
public final class Transactions {

    /** Work done inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;

    public Transactions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public <T> T inTransaction(Work<T> work) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, e);
                throw e;
            }
        }
    }

    /**
     * Inserts a row unless its key exists. A savepoint keeps PostgreSQL's transaction usable after a
     * unique violation, so the loser of a race between two instances just learns it lost.
     *
     * @return true if this call inserted the row
     */
    public static boolean insertIfAbsent(Connection connection, String sql, Object... params) throws SQLException {
        Savepoint savepoint = connection.setSavepoint();
        try {
            update(connection, sql, params);
            connection.releaseSavepoint(savepoint);
            return true;
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            connection.rollback(savepoint);
            return false;
        }
    }

    public static int update(Connection connection, String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, params);
            return statement.executeUpdate();
        }
    }

    /** Adds one row of parameters to the statement's batch. */
    public static void addBatch(PreparedStatement statement, Object... params) throws SQLException {
        bind(statement, params);
        statement.addBatch();
    }

    /**
     * {@code count} rows of {@code width} parameters, {@code (?, ?), (?, ?)}, for {@code (a, b) IN (...)}: a key's
     * columns compared as one row (H2 reads {@code a = ? AND b IN (...)} as every row of {@code a}).
     */
    public static String rowsOfParameters(int count, int width) {
        String row = "(" + String.join(", ", Collections.nCopies(width, "?")) + ")";
        return String.join(", ", Collections.nCopies(count, row));
    }

    public static PreparedStatement query(Connection connection, String sql, Object... params) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        bind(statement, params);
        return statement;
    }

    public static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp ts = rs.getTimestamp(column);
        return ts == null ? null : ts.toInstant();
    }

    private static void bind(PreparedStatement statement, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object value = params[i];
            if (value instanceof Instant instant) {
                statement.setObject(i + 1, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
            } else {
                statement.setObject(i + 1, value);
            }
        }
    }

    private static void rollbackQuietly(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }
}
