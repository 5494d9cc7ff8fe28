package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;

import devana.jobs.services.Service;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** MQTT 5 through camel-paho-mqtt5 and Mosquitto: one topic per job type, QoS 1. */
class MqttBusTest {

    @TempDir
    Path dataDir;

    private EventScenario scenario;
    private MqttClient consumer;

    @BeforeEach
    void connect() throws Exception {
        Service.MOSQUITTO.require();
        scenario = new EventScenario(dataDir);
        consumer = new MqttClient("tcp://" + Service.HOST + ":" + Service.MOSQUITTO.port(),
                "devana-jobs-test-" + scenario.run, new MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        consumer.connect(options);
    }

    @AfterEach
    void close() throws Exception {
        if (scenario != null) {
            scenario.close();
        }
        if (consumer != null && consumer.isConnected()) {
            consumer.disconnect();
            consumer.close();
        }
    }

    @Test
    void publishes_each_event_to_the_topic_of_its_job_type_at_qos_1() throws Exception {
        String prefix = "devana-test-" + scenario.run + "/jobs";
        consumer.setCallback(new Collector(scenario));
        consumer.subscribe(prefix + "/#", 1);

        scenario.driveTraced("paho-mqtt5:" + prefix + "/${header.jobType}?brokerUrl=tcp://" + Service.HOST + ":"
                + Service.MOSQUITTO.port() + "&qos=1", Map.of());
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();

        scenario.assertTheScenarioHappened(delivery.outbox());
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        EventScenario.assertEachCarriesItsChangesTrace(delivery.received());
        assertThat(delivery.received()).allSatisfy(d -> {
            assertThat(d.destination()).isEqualTo(prefix + "/" + d.jobType());
            assertThat(d.headers()).containsEntry("qos", "1")
                    .containsEntry("content-type", "application/cloudevents+json")
                    .containsEntry("id", d.id())
                    .containsEntry("type", d.type())
                    .containsEntry("specversion", "1.0")
                    .containsEntry("subject", d.subject())
                    .containsEntry("targetid", d.targetId())
                    .doesNotContainKey("data");
        });
    }

    @Test
    void sends_a_job_type_that_is_no_plain_token_to_the_other_topic_and_keeps_publishing() throws Exception {
        String prefix = "devana-test-" + scenario.run + "/jobs";
        consumer.setCallback(new Collector(scenario));
        consumer.subscribe(prefix + "/#", 1);
        // A wildcard is refused in a topic to publish to: sent as is, this event would block the outbox.
        String hostile = scenario.emulator.job().type("OCR/#").target("cm4docHostile" + scenario.run).status("PENDING").add();

        scenario.drive("paho-mqtt5:" + prefix + "/${header.jobType}?brokerUrl=tcp://" + Service.HOST + ":"
                + Service.MOSQUITTO.port() + "&qos=1", Map.of());
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();

        scenario.assertTheScenarioHappened(delivery.outbox());
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        assertThat(delivery.received()).filteredOn(d -> d.subject().equals(hostile)).singleElement().satisfies(d -> {
            assertThat(d.destination()).isEqualTo(prefix + "/OTHER");
            assertThat(d.jobType()).as("the event keeps the type the API sent").isEqualTo("OCR/#");
        });
    }

    /**
     * Mosquitto's two size limits, each on a broker of its own: over max_packet_size it disconnects the client
     * (DISCONNECT 0x95), over message_size_limit it answers PUBACK 0x95; both are the same refusal for good.
     */
    @ParameterizedTest
    @ValueSource(strings = {"max_packet_size", "message_size_limit"})
    void parks_an_event_over_the_brokers_size_limit_and_publishes_the_others(String limit, @TempDir Path brokerDir) throws Exception {
        try (OwnBroker broker = OwnBroker.start("mosquitto", "-c", port -> "listener " + port + " " + Service.HOST
                + "\nallow_anonymous true\n" + limit + " " + EventScenario.REFUSED_ABOVE_BYTES + "\n", brokerDir)) {
            MqttClient own = new MqttClient("tcp://" + Service.HOST + ":" + broker.port(), "devana-jobs-test-own-" + scenario.run,
                    new MemoryPersistence());
            own.connect();
            try {
                String prefix = "devana-test-" + scenario.run + "/capped";
                own.setCallback(new Collector(scenario));
                own.subscribe(prefix + "/#", 1);

                EventScenario.Parking parking = scenario.driveParking("paho-mqtt5:" + prefix + "/${header.jobType}?brokerUrl=tcp://"
                        + Service.HOST + ":" + broker.port() + "&qos=1", Map.of());

                scenario.assertParkedAlone(parking, "MQTT");
                scenario.stopApp();
            } finally {
                own.disconnect();
                own.close();
            }
        }
    }

    /** Records each message with its QoS, its Content Type and its User Properties as headers. */
    private record Collector(EventScenario scenario) implements MqttCallback {
        @Override
        public void messageArrived(String topic, MqttMessage message) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("qos", String.valueOf(message.getQos()));
            MqttProperties properties = message.getProperties();
            if (properties != null) {
                if (properties.getContentType() != null) {
                    headers.put("content-type", properties.getContentType());
                }
                properties.getUserProperties().forEach(p -> headers.put(p.getKey(), p.getValue()));
            }
            scenario.received.add(Delivered.of(new String(message.getPayload(), StandardCharsets.UTF_8), topic, headers, null));
        }

        @Override
        public void disconnected(MqttDisconnectResponse response) {
        }

        @Override
        public void mqttErrorOccurred(MqttException exception) {
        }

        @Override
        public void deliveryComplete(IMqttToken token) {
        }

        @Override
        public void connectComplete(boolean reconnect, String serverUri) {
        }

        @Override
        public void authPacketArrived(int reasonCode, MqttProperties properties) {
        }
    }
}
