package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.Http;
import devana.jobs.RunningApp;
import devana.jobs.events.EventParking;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kafka through camel-kafka to a real KRaft broker started by the test: key = targetId, ce_* headers. */
class KafkaBusTest {

    private static final String TOPIC = "devana.jobs.events";
    private static final int PARTITIONS = 3;

    @TempDir
    Path dataDir;
    @TempDir
    Path kafkaDir;

    private EmbeddedKafka kafka;
    private EventScenario scenario;
    private Thread poller;
    private final AtomicBoolean polling = new AtomicBoolean(true);
    private final Map<String, Integer> partitionOfEvent = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        kafka = new EmbeddedKafka(kafkaDir, PARTITIONS);
        scenario = new EventScenario(dataDir);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get();
        }
    }

    @AfterEach
    void stop() throws Exception {
        polling.set(false);
        if (poller != null) {
            poller.join(10_000);
        }
        scenario.close();
        kafka.close();
    }

    @Test
    void publishes_each_event_keyed_by_its_target_with_cloud_events_headers() throws Exception {
        consume();

        scenario.driveTraced("kafka:" + TOPIC + "?brokers=" + kafka.bootstrapServers(), Map.of());
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();

        scenario.assertTheScenarioHappened(delivery.outbox());
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        EventScenario.assertEachCarriesItsChangesTrace(delivery.received());
        assertThat(delivery.received()).allSatisfy(d -> {
            assertThat(d.key()).isEqualTo(d.targetId());
            assertThat(d.headers()).containsEntry("content-type", "application/cloudevents+json")
                    .containsEntry("ce_id", d.id())
                    .containsEntry("ce_type", d.type())
                    .containsEntry("ce_specversion", "1.0")
                    .containsEntry("ce_subject", d.subject())
                    .containsEntry("ce_source", (String) d.event().get("source"))
                    .containsEntry("ce_targetid", d.targetId())
                    .doesNotContainKeys("ce_data", "Content-Type");
        });
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, PARTITIONS).boxed()
                    .collect(Collectors.toMap(p -> new TopicPartition(TOPIC, p), p -> OffsetSpec.latest()));
            long records = admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
            assertThat(records).as("the topic holds each event once").isEqualTo(delivery.outbox().size());
        }
        Map<String, List<Integer>> partitionsPerTarget = delivery.received().stream().collect(Collectors.groupingBy(
                Delivered::targetId, Collectors.mapping(d -> partitionOfEvent.get(d.id()), Collectors.toList())));
        assertThat(partitionsPerTarget).as("one target's events share one partition, so they stay in order")
                .allSatisfy((target, partitions) -> assertThat(partitions).containsOnly(partitions.get(0)));
    }

    @Test
    void parks_an_event_over_the_topics_size_limit_and_publishes_it_once_the_limit_is_raised_and_it_is_put_back() throws Exception {
        String topic = "devana.jobs.small";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("max.message.bytes", String.valueOf(EventScenario.REFUSED_ABOVE_BYTES))))).all().get();
        }
        consume(topic, 1);

        EventScenario.Parking parking = scenario.driveParking("kafka:" + topic + "?brokers=" + kafka.bootstrapServers(), Map.of());

        scenario.assertParkedAlone(parking, "RecordTooLargeException");
        EventScenario.Command parked = scenario.events("parked");
        String parkedId = (String) scenario.app().rows("SELECT event_id FROM job_events WHERE parked_at IS NOT NULL").get(0).get("event_id");
        assertThat(parked.out()).contains(parkedId, parking.bulky(), "3 refusals", "Kafka refused the event: RecordTooLargeException");
        assertThat(parked.err()).contains("1 parked event(s)");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(
                    new AlterConfigOp(new ConfigEntry("max.message.bytes", "1000000"), AlterConfigOp.OpType.SET)))).all().get();
        }
        EventScenario.Command republish = scenario.events("republish");
        assertThat(republish.exitCode()).as(republish.err()).isZero();
        assertThat(republish.out()).contains("1 parked event(s) put back in line");
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
        assertThat(scenario.app().count("SELECT COUNT(*) FROM job_events WHERE parked_at IS NOT NULL")).isZero();
    }

    @Test
    void a_topic_that_refuses_every_event_gets_ten_parked_then_the_publisher_waits_as_in_an_outage() throws Exception {
        String topic = "devana.jobs.tiny";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "200")))).all().get();
        }
        consume(topic, 1);
        int jobs = EventParking.MAX_PARKED_IN_A_ROW + 4;
        for (int i = 0; i < jobs; i++) {
            scenario.emulator.job().type("EXTRACTION").target("cm4docTiny" + i + scenario.run).status("PENDING").add();
        }
        RunningApp app = scenario.startApp("kafka:" + topic + "?brokers=" + kafka.bootstrapServers(),
                Map.of("jobs.events.park-after-refusals", "1", "jobs.events.backoff-max", "1000"));
        await().atMost(EventScenario.CYCLES).until(() -> app.count("SELECT COUNT(*) FROM job_events") == jobs
                && app.count("SELECT COUNT(*) FROM job_events WHERE parked_at IS NOT NULL") == EventParking.MAX_PARKED_IN_A_ROW);
        double failures = app.counter("devana.events.publish.failures");
        await().atMost(EventScenario.CYCLES).until(() -> app.counter("devana.events.publish.failures") >= failures + 3);
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE parked_at IS NOT NULL"))
                .as("no more parked: a bus refusing everything is a setting").isEqualTo(EventParking.MAX_PARKED_IN_A_ROW);
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE parked_at IS NULL AND refusals > 0")).isZero();
        assertThat(Http.get(app.url("/observe/health/ready")).statusCode()).as("not ready while the bus refuses").isEqualTo(503);

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(
                    new AlterConfigOp(new ConfigEntry("max.message.bytes", "1000000"), AlterConfigOp.OpType.SET)))).all().get();
        }
        await().atMost(EventScenario.CYCLES).until(() -> scenario.received.size() == jobs - EventParking.MAX_PARKED_IN_A_ROW);
        assertThat(scenario.events("republish").out()).contains(EventParking.MAX_PARKED_IN_A_ROW + " parked event(s) put back in line");
        EventScenario.Delivery delivery = scenario.awaitAllDelivered();
        EventScenario.assertDeliveredExactlyTheOutbox(delivery.outbox(), delivery.received());
    }

    /** A plain Kafka consumer reading every partition of the topic from the beginning, in the background. */
    private void consume() {
        consume(TOPIC, PARTITIONS);
    }

    private void consume(String topic, int partitionCount) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = IntStream.range(0, partitionCount).mapToObj(p -> new TopicPartition(topic, p)).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        poller = new Thread(() -> {
            try (consumer) {
                while (polling.get()) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        Map<String, String> headers = new LinkedHashMap<>();
                        for (Header header : record.headers()) {
                            headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
                        }
                        Delivered delivered = Delivered.of(record.value(), record.topic(), headers, record.key());
                        partitionOfEvent.put(delivered.id(), record.partition());
                        scenario.received.add(delivered);
                    }
                }
            }
        }, "kafka-test-consumer");
        poller.start();
    }
}
