package devana.jobs.events;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.jms.MessageFormatException;
import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import org.apache.activemq.artemis.api.core.ActiveMQAddressFullException;
import org.apache.activemq.artemis.api.core.ActiveMQIllegalStateException;
import org.apache.activemq.artemis.api.core.ActiveMQNotConnectedException;
import org.apache.activemq.artemis.api.core.ActiveMQSecurityException;
import org.apache.camel.RuntimeCamelException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.junit.jupiter.api.Test;

/**
 * The client libraries' own exceptions, as each throws them, on both sides of the line BusRefusals draws; the bus
 * tests (bus/*BusTest) make each real broker refuse an event and check what the app does with it.
 */
class BusRefusalsTest {

    @Test
    void a_refusal_of_the_event_itself_is_found_under_the_wrappers_and_said_with_its_bus() {
        assertThat(BusRefusals.permanent(new RuntimeCamelException(new ExecutionException(
                new RecordTooLargeException("The message is 13000 bytes when serialized")))))
                .hasValueSatisfying(reason -> assertThat(reason)
                        .isEqualTo("Kafka refused the event: RecordTooLargeException: The message is 13000 bytes when serialized"));
        assertThat(BusRefusals.permanent(new MessageFormatException("cannot set a property"))).isPresent();
        assertThat(BusRefusals.permanent(new ActiveMQIllegalStateException("policy: a message of 26443 bytes is over"))).isPresent();
        assertThat(BusRefusals.permanent(new IllegalArgumentException("Message payload size exceed server configuration 12000 vs 8000")))
                .hasValueSatisfying(reason -> assertThat(reason).startsWith("NATS refused the event"));
        assertThat(BusRefusals.permanent(new MqttException(0x83))).isPresent();
        assertThat(BusRefusals.permanent(new MqttException(0x99))).isPresent();
    }

    @Test
    void an_outage_a_setting_or_a_failure_nobody_named_parks_nothing() {
        assertThat(BusRefusals.permanent(null)).isEmpty();
        assertThat(BusRefusals.permanent(new TimeoutException("Topic t not present in metadata after 60000 ms."))).isEmpty();
        assertThat(BusRefusals.permanent(new TopicAuthorizationException("Not authorized to access topics: [t]"))).isEmpty();
        assertThat(BusRefusals.permanent(new ActiveMQNotConnectedException("AMQ219007: Cannot connect to server(s)"))).isEmpty();
        assertThat(BusRefusals.permanent(new ActiveMQAddressFullException("AMQ219058: Address \"q\" is full"))).isEmpty();
        assertThat(BusRefusals.permanent(new ActiveMQSecurityException("AMQ229032: User: null does not have permission='SEND'")))
                .isEmpty();
        assertThat(BusRefusals.permanent(new ActiveMQIllegalStateException("AMQ229xxx: the broker's own state"))).isEmpty();
        assertThat(BusRefusals.permanent(new ActiveMQIllegalStateException())).isEmpty();
        assertThat(BusRefusals.permanent(new IllegalArgumentException("anything else"))).isEmpty();
        assertThat(BusRefusals.permanent(new MqttException(32104))).isEmpty();
        assertThat(BusRefusals.permanent(new MqttException(32109))).isEmpty();
        assertThat(BusRefusals.permanent(new MqttException(0x87))).as("not authorized: a setting").isEmpty();
        assertThat(BusRefusals.permanent(new MqttException(0x97))).as("quota exceeded: a wait").isEmpty();
        assertThat(BusRefusals.permanent(new RuntimeCamelException(new SQLException("the outbox's database")))).isEmpty();
    }
}
