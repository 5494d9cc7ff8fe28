package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import devana.jobs.RunningApp;
import devana.jobs.services.Service;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NATS through camel-nats: one subject per job type. Core NATS publishing is fire-and-forget; with
 * jetstreamEnabled=true the publisher waits for the stream's acknowledgement, so an event no stream
 * took stays in the outbox.
 */
class NatsBusTest {

    @TempDir
    Path dataDir;

    private EventScenario scenario;
    private Connection consumer;
    private String stream;

    @BeforeEach
    void connect() throws Exception {
        Service.NATS.require();
        scenario = new EventScenario(dataDir);
        consumer = Nats.connect("nats://" + Service.HOST + ":" + Service.NATS.port());
    }

    @AfterEach
    void close() throws Exception {
        if (scenario != null) {
            scenario.close();
        }
        if (consumer != null) {
            if (stream != null) {
                consumer.jetStreamManagement().deleteStream(stream);
            }
            consumer.close();
        }
    }

    private String subscribe(String prefix) {
        Dispatcher dispatcher = consumer.createDispatcher(this::record);
        dispatcher.subscribe(prefix + ".>");
        return prefix;
    }

    private void record(Message message) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (message.getHeaders() != null) {
            message.getHeaders().entrySet().forEach(h -> headers.put(h.getKey(), String.join(",", h.getValue())));
        }
        scenario.received.add(Delivered.of(new String(message.getData(), StandardCharsets.UTF_8),
                message.getSubject(), headers, null));
    }

    private static String servers() {
        return "servers=" + Service.HOST + ":" + Service.NATS.port();
    }

    @Test
    void publishes_each_event_to_the_subject_of_its_job_type() throws Exception {
        String prefix = subscribe("devana.test." + scenario.run + ".jobs");
        consumer.flush(java.time.Duration.ofSeconds(5));

        scenario.driveTraced("nats:" + prefix + ".${header.jobType}?" + servers(), Map.of());
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();

        scenario.assertTheScenarioHappened(delivery.outbox());
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        EventScenario.assertEachCarriesItsChangesTrace(delivery.received());
        assertThat(delivery.received()).allSatisfy(d -> {
            assertThat(d.destination()).isEqualTo(prefix + "." + d.jobType());
            assertThat(d.headers()).containsEntry("Content-Type", "application/cloudevents+json")
                    .containsEntry("eventId", d.id()).containsEntry("eventType", d.type());
        });
    }

    @Test
    void with_jetstream_an_event_stays_in_the_outbox_until_a_stream_acknowledges_it() throws Exception {
        String prefix = "devana.test." + scenario.run + ".stream";
        stream = "devana-test-" + scenario.run;
        scenario.addJobs();
        RunningApp app = scenario.startApp("nats:" + prefix + ".${header.jobType}?" + servers() + "&jetstreamEnabled=true", Map.of());

        await().atMost(EventScenario.CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events") >= 3
                && app.counter("devana.events.publish.failures") >= 2);
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE published_at IS NOT NULL"))
                .as("no stream took them: nothing is marked published").isZero();

        JetStreamManagement management = consumer.jetStreamManagement();
        management.addStream(StreamConfiguration.builder().name(stream).subjects(prefix + ".>")
                .storageType(StorageType.Memory).build());
        consumer.jetStream().subscribe(prefix + ".>", consumer.createDispatcher(), this::record, true,
                PushSubscribeOptions.builder().ordered(true).build());
        scenario.driveTransitions();
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();

        scenario.assertTheScenarioHappened(delivery.outbox());
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        StreamInfo info = management.getStreamInfo(stream);
        assertThat(info.getStreamState().getMsgCount()).as("every event stored once in the stream")
                .isEqualTo(delivery.outbox().size());
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE parked_at IS NOT NULL OR refusals > 0"))
                .as("no stream is an outage, not a refusal").isZero();
    }

    @Test
    void an_event_over_the_servers_max_payload_is_parked_and_the_others_published(@TempDir Path serverDir) throws Exception {
        try (OwnBroker server = OwnBroker.start("nats-server", "-c",
                port -> "host: " + Service.HOST + "\nport: " + port + "\nmax_payload: " + EventScenario.REFUSED_ABOVE_BYTES + "\n",
                serverDir);
             Connection own = Nats.connect("nats://" + Service.HOST + ":" + server.port())) {
            String prefix = "devana.test." + scenario.run + ".capped";
            own.createDispatcher(this::record).subscribe(prefix + ".>");
            own.flush(java.time.Duration.ofSeconds(5));

            EventScenario.Parking parking = scenario.driveParking(
                    "nats:" + prefix + ".${header.jobType}?servers=" + Service.HOST + ":" + server.port(), Map.of());

            scenario.assertParkedAlone(parking, "Message payload size exceed server configuration");
            scenario.stopApp();
        }
    }

    @Test
    void with_jetstream_an_event_over_the_streams_message_size_is_parked_and_the_others_stored() throws Exception {
        String prefix = "devana.test." + scenario.run + ".small";
        stream = "devana-test-small-" + scenario.run;
        consumer.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects(prefix + ".>")
                .storageType(StorageType.Memory).maximumMessageSize(EventScenario.REFUSED_ABOVE_BYTES).build());
        consumer.jetStream().subscribe(prefix + ".>", consumer.createDispatcher(), this::record, true,
                PushSubscribeOptions.builder().ordered(true).build());

        EventScenario.Parking parking = scenario.driveParking(
                "nats:" + prefix + ".${header.jobType}?" + servers() + "&jetstreamEnabled=true", Map.of());

        scenario.assertParkedAlone(parking, "message size exceeds maximum allowed [10054]");
    }
}
