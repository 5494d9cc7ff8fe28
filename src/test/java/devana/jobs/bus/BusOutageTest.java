package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.RunningApp;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import java.nio.file.Path;
import java.util.List;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bus that goes away loses no event: the broker (Artemis, in this JVM) is stopped while jobs keep
 * changing; their events wait in the outbox, the publisher backs off, and once the broker is back
 * every event arrives, each job's in order, and none was parked.
 */
class BusOutageTest {

    @TempDir
    Path dataDir;
    @TempDir
    Path brokerDir;

    private EventScenario scenario;
    private EmbeddedArtemis broker;

    @AfterEach
    void stop() throws Exception {
        if (scenario != null) {
            scenario.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void events_raised_while_the_broker_is_down_wait_in_the_outbox_and_all_arrive_once_it_is_back() throws Exception {
        broker = new EmbeddedArtemis(brokerDir);
        scenario = new EventScenario(dataDir);
        String queue = "devana.jobs.events";
        scenario.addJobs();
        RunningApp app = scenario.startApp("jms:queue:" + queue, broker.appSettings());
        await().atMost(EventScenario.CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NOT NULL") == 3);

        broker.stop();
        scenario.emulator.update(scenario.extraction, "IN_PROGRESS", 50);
        scenario.emulator.fail(scenario.embedding, "model timeout");
        scenario.awaitOutbox(scenario.extraction, 2);
        scenario.awaitOutbox(scenario.embedding, 3);
        // more failed tries than jobs.events.park-after-refusals (3): an outage parks nothing whatever its length
        await().atMost(EventScenario.CYCLES).until(() -> app.counter("devana.events.publish.failures") >= 4);
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NULL"))
                .as("the events of the outage are kept, unpublished").isGreaterThanOrEqualTo(3);

        broker.start();
        scenario.emulator.update(scenario.extraction, "DONE", 100);
        scenario.emulator.update(scenario.sync, "IN_PROGRESS", 30);
        scenario.awaitOutbox(scenario.extraction, 3);
        scenario.awaitOutbox(scenario.sync, 2);

        try (Connection connection = new ActiveMQConnectionFactory(broker.url()).createConnection()) {
            connection.start();
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageConsumer consumer = session.createConsumer(session.createQueue(queue));
            consumer.setMessageListener((Message message) -> scenario.received.add(JmsBusTest.delivered(message)));
            EventScenario.Delivery delivery = scenario.awaitAllDelivered();

            scenario.assertTheScenarioHappened(delivery.outbox());
            EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
            assertThat(delivery.received()).hasSize(delivery.outbox().size());
            List<String> published = app.rows("SELECT event_id FROM job_events WHERE published_at IS NULL").stream()
                    .map(row -> (String) row.get("event_id")).toList();
            assertThat(published).as("nothing left unpublished").isEmpty();
            assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE parked_at IS NOT NULL OR refusals > 0"))
                    .as("an outage is no refusal: nothing parked, no refusal counted").isZero();
        }
    }
}
