package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import devana.jobs.RunningApp;
import devana.jobs.services.Service;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/** RabbitMQ (AMQP 0-9-1) through camel-spring-rabbitmq: a topic exchange, routing key = job type + event type. */
class RabbitMqBusTest {

    @TempDir
    Path dataDir;

    private EventScenario scenario;
    private Connection consumerConnection;
    private String exchange;

    @BeforeEach
    void connect() throws Exception {
        Service.RABBITMQ.require();
        scenario = new EventScenario(dataDir);
        exchange = "devana.jobs.test." + scenario.run;
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(amqpUri(Service.RABBITMQ.port()));
        consumerConnection = factory.newConnection("devana-jobs-test-consumer");
    }

    @AfterEach
    void close() throws Exception {
        if (scenario != null) {
            scenario.close();
        }
        if (consumerConnection != null) {
            try (Channel channel = consumerConnection.createChannel()) {
                channel.exchangeDelete(exchange);
            }
            consumerConnection.close();
        }
    }

    static String amqpUri(int port) {
        return "amqp://guest:guest@" + Service.HOST + ":" + port;
    }

    /** The settings of docs/operations.md: a connection factory with publisher confirms, and the endpoint URI. */
    static Map<String, String> rabbitSettings(int port) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("camel.beans.rabbit", "#class:org.springframework.amqp.rabbit.connection.CachingConnectionFactory");
        settings.put("camel.beans.rabbit.uri", amqpUri(port));
        settings.put("camel.beans.rabbit.publisherConfirmType", "CORRELATED");
        return settings;
    }

    static String eventsUri(String exchange) {
        return "spring-rabbitmq:" + exchange + "?exchangeType=topic&autoDeclareProducer=true"
                + "&routingKey=${header.jobType}.${header.eventType}";
    }

    @Test
    void publishes_each_event_with_a_routing_key_of_job_type_and_event_type() throws Exception {
        Channel channel = consumerConnection.createChannel();
        channel.exchangeDeclare(exchange, "topic", true);
        String everything = channel.queueDeclare().getQueue();
        channel.queueBind(everything, exchange, "#");
        String extractionsOnly = channel.queueDeclare().getQueue();
        channel.queueBind(extractionsOnly, exchange, "EXTRACTION.#");
        collect(channel, everything);

        scenario.driveTraced(eventsUri(exchange), rabbitSettings(Service.RABBITMQ.port()));
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();

        scenario.assertTheScenarioHappened(delivery.outbox());
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        EventScenario.assertEachCarriesItsChangesTrace(delivery.received());
        assertThat(delivery.received()).allSatisfy(d -> {
            assertThat(d.destination()).isEqualTo(d.jobType() + "." + d.type());
            assertThat(d.headers()).containsEntry("content_type", "application/cloudevents+json")
                    .containsEntry("cloudEvents_id", d.id())
                    .containsEntry("cloudEvents_type", d.type())
                    .containsEntry("cloudEvents_specversion", "1.0")
                    .containsEntry("cloudEvents_subject", d.subject())
                    .containsEntry("cloudEvents_source", (String) d.event().get("source"))
                    .containsEntry("cloudEvents_jobtype", d.jobType())
                    .doesNotContainKey("cloudEvents_data");
        });
        long extractions = delivery.outbox().stream().filter(e -> e.jobType().equals("EXTRACTION")).count();
        assertThat(channel.messageCount(extractionsOnly)).as("a binding on EXTRACTION.# gets the extraction events only")
                .isEqualTo(extractions);
        assertThat(scenario.app().context().getRegistry()
                .lookupByNameAndType("rabbit", CachingConnectionFactory.class).isPublisherConfirms())
                .as("the publisher waits for the broker's confirm before marking an event published").isTrue();
        channel.close();
    }

    @Test
    void events_refused_while_the_broker_port_is_closed_wait_in_the_outbox_and_go_out_after_a_restart_on_the_live_broker()
            throws Exception {
        Channel channel = consumerConnection.createChannel();
        channel.exchangeDeclare(exchange, "topic", true);
        String everything = channel.queueDeclare().getQueue();
        channel.queueBind(everything, exchange, "#");
        collect(channel, everything);
        scenario.addJobs();
        RunningApp refused = scenario.startApp(eventsUri(exchange), rabbitSettings(EmbeddedArtemis.freePort()));
        await().atMost(EventScenario.CYCLES).until(() -> refused.count("SELECT COUNT(*) FROM job_events") >= 3
                && refused.counter("devana.events.publish.failures") >= 2);
        assertThat(refused.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NOT NULL")).isZero();
        scenario.stopApp();

        scenario.startApp(eventsUri(exchange), rabbitSettings(Service.RABBITMQ.port()));
        scenario.driveTransitions();
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();

        scenario.assertTheScenarioHappened(delivery.outbox());
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        channel.close();
    }

    @Test
    void parks_an_event_over_the_brokers_max_message_size_and_publishes_the_others() throws Exception {
        try (OwnBroker broker = OwnBroker.rabbitmq("max_message_size = " + EventScenario.REFUSED_ABOVE_BYTES + "\n")) {
            ConnectionFactory factory = new ConnectionFactory();
            factory.setUri(amqpUri(broker.port()));
            try (Connection own = factory.newConnection("devana-jobs-test-own")) {
                Channel channel = own.createChannel();
                channel.exchangeDeclare(exchange, "topic", true);
                String everything = channel.queueDeclare().getQueue();
                channel.queueBind(everything, exchange, "#");
                collect(channel, everything);

                EventScenario.Parking parking = scenario.driveParking(eventsUri(exchange), rabbitSettings(broker.port()));

                scenario.assertParkedAlone(parking, "larger than configured max size");
                scenario.stopApp();
            }
        }
    }

    /** Every message of the queue goes to the scenario's received list, with its routing key and headers. */
    private void collect(Channel channel, String queue) throws IOException {
        channel.basicConsume(queue, true, (tag, message) -> scenario.received.add(Delivered.of(
                new String(message.getBody(), StandardCharsets.UTF_8), message.getEnvelope().getRoutingKey(),
                headersOf(message.getProperties()), null)), tag -> { });
    }

    static Map<String, String> headersOf(AMQP.BasicProperties properties) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (properties.getHeaders() != null) {
            properties.getHeaders().forEach((name, value) -> headers.put(name, String.valueOf(value)));
        }
        if (properties.getContentType() != null) {
            headers.put("content_type", properties.getContentType());
        }
        return headers;
    }
}
