package devana.jobs.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import devana.jobs.TestDatabase;
import devana.jobs.config.JobsConfiguration;
import devana.jobs.config.Locations;
import devana.jobs.config.Settings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parked events' SQL (ParkedEvents) on the two databases the app runs on, migrated as the app does: counting
 * refusals, parking at the limit, the publisher's pending count passing parked events by, republish, backfill.
 */
class ParkedEventsTest {

    private static final Instant T0 = Instant.parse("2026-12-04T08:00:00Z");

    @TempDir
    Path dataDir;

    @Test
    void on_h2() throws Exception {
        try (TestDatabase database = TestDatabase.h2(dataDir)) {
            exercise(database);
        }
    }

    @Test
    void on_postgresql() throws Exception {
        try (TestDatabase database = TestDatabase.postgresql()) {
            exercise(database);
        }
    }

    private void exercise(TestDatabase database) throws Exception {
        DefaultCamelContext camel = new DefaultCamelContext();
        Settings settings = Settings.read(camel, Locations.properties(), database.settings());
        camel.close();
        try (HikariDataSource dataSource = JobsConfiguration.database(settings);
             Connection connection = dataSource.getConnection()) {
            long first = append(connection, "default", T0);
            long second = append(connection, "default", T0.plusSeconds(60));
            long third = append(connection, "other", T0.plusSeconds(120));

            assertThat(ParkedEvents.refused(connection, second, "Kafka refused the event: too large", 2, T0.plusSeconds(200)))
                    .isEqualTo(new ParkedEvents.Refusal(1, false));
            assertThat(ParkedEvents.count(connection, null)).isZero();
            assertThat(ParkedEvents.refused(connection, second, "Kafka refused the event: too large", 2, T0.plusSeconds(201)))
                    .isEqualTo(new ParkedEvents.Refusal(2, true));
            assertThat(ParkedEvents.refused(connection, second, "again", 2, T0.plusSeconds(202)))
                    .as("a parked event is not counted again").isNull();
            assertThat(ParkedEvents.count(connection, null)).isEqualTo(1);
            assertThat(ParkedEvents.count(connection, "other")).isZero();
            assertThat(EventOutbox.pending(connection)).as("the publisher passes the parked event by").isEqualTo(2);
            assertThat(ParkedEvents.list(connection, "default", 0, 10)).singleElement().satisfies(parked -> {
                assertThat(parked.seq()).isEqualTo(second);
                assertThat(parked.refusals()).isEqualTo(2);
                assertThat(parked.reason()).isEqualTo("Kafka refused the event: too large");
                assertThat(parked.parkedAt()).isEqualTo(T0.plusSeconds(201));
                assertThat(parked.createdAt()).isEqualTo(T0.plusSeconds(60));
            });
            assertThat(ParkedEvents.refused(connection, first, "x".repeat(5000), 1, T0).parked()).isTrue();
            assertThat(ParkedEvents.list(connection, null, 0, 10).get(0).reason()).hasSize(ParkedEvents.MAX_REASON);
            assertThat(ParkedEvents.list(connection, null, 1, 10)).as("after an offset").extracting(ParkedEvents.Parked::seq)
                    .containsExactly(second);

            assertThat(ParkedEvents.republish(connection, List.of(UUID.randomUUID().toString()))).isZero();
            assertThat(ParkedEvents.republish(connection, List.of())).isEqualTo(2);
            assertThat(ParkedEvents.count(connection, null)).isZero();
            assertThat(EventOutbox.pending(connection)).isEqualTo(3);

            try (PreparedStatement publish = connection.prepareStatement("UPDATE job_events SET published_at = created_at")) {
                publish.executeUpdate();
            }
            assertThat(EventOutbox.pending(connection)).isZero();
            assertThat(ParkedEvents.backfill(connection, T0.plusSeconds(30), T0.plusSeconds(180), "default"))
                    .as("the range, of the account asked for").isEqualTo(1);
            assertThat(ParkedEvents.backfill(connection, T0, T0.plusSeconds(180), null)).as("the range, every account").isEqualTo(2);
            assertThat(unpublished(connection)).containsExactly(first, second, third);
            assertThat(ParkedEvents.oldest(connection)).isEqualTo(T0);
        }
    }

    private static long append(Connection connection, String account, Instant createdAt) throws SQLException {
        String id = UUID.randomUUID().toString();
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO job_events (event_id, account, event_type, "
                + "job_id, job_type, target_id, payload, created_at) VALUES (?, ?, 'ai.devana.job.pending', 'cm4job1', "
                + "'EXTRACTION', 'cm4doc1', '{}', ?)")) {
            insert.setString(1, id);
            insert.setString(2, account);
            insert.setObject(3, OffsetDateTime.ofInstant(createdAt, ZoneOffset.UTC));
            insert.executeUpdate();
        }
        try (PreparedStatement select = connection.prepareStatement("SELECT seq FROM job_events WHERE event_id = ?")) {
            select.setString(1, id);
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static List<Long> unpublished(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT seq FROM job_events WHERE published_at IS NULL AND parked_at IS NULL ORDER BY seq");
             ResultSet rs = select.executeQuery()) {
            List<Long> seqs = new ArrayList<>();
            while (rs.next()) {
                seqs.add(rs.getLong(1));
            }
            return seqs;
        }
    }
}
