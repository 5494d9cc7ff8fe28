package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JMS through camel-jms to a topic of an Apache Artemis broker started by the test. */
class JmsBusTest {

    @TempDir
    Path dataDir;
    @TempDir
    Path brokerDir;

    private EventScenario scenario;
    private EmbeddedArtemis broker;
    private Connection consumer;

    @BeforeEach
    void start() throws Exception {
        broker = new EmbeddedArtemis(brokerDir);
        scenario = new EventScenario(dataDir);
        consumer = new ActiveMQConnectionFactory(broker.url()).createConnection();
        consumer.start();
    }

    @AfterEach
    void stop() throws Exception {
        scenario.close();
        consumer.close();
        broker.close();
    }

    @Test
    void publishes_each_event_to_the_topic_with_ce_properties() throws Exception {
        String topic = "devana.jobs.events";
        Session session = consumer.createSession(false, Session.AUTO_ACKNOWLEDGE);
        session.createConsumer(session.createTopic(topic)).setMessageListener(message -> scenario.received.add(delivered(message)));

        scenario.driveTraced("jms:topic:" + topic, broker.appSettings());
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();

        scenario.assertTheScenarioHappened(delivery.outbox());
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        EventScenario.assertEachCarriesItsChangesTrace(delivery.received());
        assertThat(delivery.received()).allSatisfy(d -> {
            assertThat(d.destination()).isEqualTo(topic);
            assertThat(d.headers()).containsEntry("contentType", "application/cloudevents+json")
                    .containsEntry("ce_id", d.id())
                    .containsEntry("ce_type", d.type())
                    .containsEntry("ce_specversion", "1.0")
                    .containsEntry("ce_subject", d.subject())
                    .containsEntry("ce_targetid", d.targetId())
                    .doesNotContainKey("ce_data");
        });
    }

    @Test
    void parks_an_event_the_brokers_policy_refuses_and_publishes_the_others() throws Exception {
        broker.close();
        broker = new EmbeddedArtemis(brokerDir.resolve("refusing"), EventScenario.REFUSED_ABOVE_BYTES);
        consumer.close();
        consumer = new ActiveMQConnectionFactory(broker.url()).createConnection();
        consumer.start();
        String queue = "devana.jobs.small";
        Session session = consumer.createSession(false, Session.AUTO_ACKNOWLEDGE);
        session.createConsumer(session.createQueue(queue)).setMessageListener(message -> scenario.received.add(delivered(message)));

        EventScenario.Parking parking = scenario.driveParking("jms:queue:" + queue, broker.appSettings());

        scenario.assertParkedAlone(parking, "policy: a message of");
    }

    /** The message as text with its properties, and the name of its destination. */
    static Delivered delivered(Message message) {
        try {
            Map<String, String> properties = new LinkedHashMap<>();
            for (Object name : Collections.list(message.getPropertyNames())) {
                properties.put((String) name, String.valueOf(message.getObjectProperty((String) name)));
            }
            String destination = message.getJMSDestination().toString();
            if (message.getJMSDestination() instanceof jakarta.jms.Topic t) {
                destination = t.getTopicName();
            } else if (message.getJMSDestination() instanceof jakarta.jms.Queue q) {
                destination = q.getQueueName();
            }
            return Delivered.of(((TextMessage) message).getText(), destination, properties, null);
        } catch (JMSException e) {
            throw new IllegalStateException(e);
        }
    }
}
