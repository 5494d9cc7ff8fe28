package devana.jobs.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
import devana.jobs.EmulatorExtension;
import devana.jobs.LaunchedApp;
import devana.jobs.RunningApp;
import jakarta.jms.Connection;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.ZipFile;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JMS broker's client that the jar does not carry, dropped into lib/ beside it with no rebuild: bin/devana-jobs
 * puts those jars on the class path, the connection factory is declared from the environment as docs/operations.md
 * says, and the events reach a queue of an Apache Artemis broker. The process is the shipped jar and launcher.
 */
class DroppedInJmsClientIT {

    /** The jars of an Artemis release's client, by file name (docs/operations.md lists the same). */
    private static final List<String> ARTEMIS_CLIENT = List.of("artemis-jakarta-client-", "artemis-core-client-",
            "artemis-commons-", "artemis-selector-", "commons-beanutils-", "commons-collections-", "commons-logging-");

    @TempDir
    Path dir;

    private final List<Message> received = new CopyOnWriteArrayList<>();
    private EmbeddedArtemis broker;
    private DevanaEmulator emulator;
    private Connection consumer;
    private LaunchedApp app;

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (consumer != null) {
            consumer.close();
        }
        if (emulator != null) {
            emulator.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void runs_with_the_jars_of_lib_on_its_class_path_and_publishes_to_an_artemis_queue() throws Exception {
        Path jar = LaunchedApp.shippedJar();
        assertThat(jar).as("the shipped jar (mvn package runs before the integration tests)").exists();
        try (ZipFile shipped = new ZipFile(jar.toFile())) {
            assertThat(shipped.getEntry("org/apache/activemq/artemis/jms/client/ActiveMQConnectionFactory.class"))
                    .as("the jar does not carry the Artemis client: the test would prove nothing").isNull();
        }
        Path appDir = Files.createDirectories(dir.resolve("app"));
        Files.copy(jar, appDir.resolve("devana-jobs.jar"));
        Path lib = Files.createDirectories(appDir.resolve("lib"));
        List<String> copied = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path candidate = Path.of(entry);
            String name = candidate.getFileName().toString();
            if (name.endsWith(".jar") && ARTEMIS_CLIENT.stream().anyMatch(name::startsWith)) {
                Files.copy(candidate, lib.resolve(name));
                copied.add(name);
            }
        }
        assertThat(copied).as("the client's jars, from the test class path").hasSize(ARTEMIS_CLIENT.size());

        broker = new EmbeddedArtemis(dir.resolve("broker"));
        String queue = "devana.jobs.dropin." + UUID.randomUUID().toString().substring(0, 8);
        consumer = new ActiveMQConnectionFactory(broker.url()).createConnection();
        consumer.start();
        Session session = consumer.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer listener = session.createConsumer(session.createQueue(queue));
        listener.setMessageListener(received::add);

        emulator = EmulatorExtension.startForTheApp();
        String extraction = emulator.job().type("EXTRACTION").target("cm4docDropIn").status("PENDING").add();
        String sync = emulator.job().type("SYNC").target("cm4srcDropIn").status("DONE").progress(100).add();
        app = LaunchedApp.start(Path.of("").toAbsolutePath(), appDir.resolve("devana-jobs.jar"), dir, emulator, Map.of(
                "JOBS_EVENTS_URI", "jms:queue:" + queue,
                "CAMEL_BEANS_ARTEMIS", "#class:org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory",
                "CAMEL_BEANS_ARTEMIS_BROKERURL", broker.url()));

        await().atMost(Duration.ofSeconds(60)).failFast("the app stopped", () -> !app.isAlive())
                .until(() -> received.size() >= 2);
        List<String> subjects = new ArrayList<>();
        for (Message message : received) {
            assertThat(message).isInstanceOf(TextMessage.class);
            assertThat(message.getStringProperty("contentType")).isEqualTo("application/cloudevents+json");
            String subject = (String) devana.jobs.Json.read(((TextMessage) message).getText()).get("subject");
            assertThat(message.getStringProperty("ce_subject")).isEqualTo(subject);
            subjects.add(subject);
        }
        assertThat(Set.copyOf(subjects)).containsExactlyInAnyOrder(extraction, sync);
        assertThat(app.output()).contains("class path has the jar and " + lib + "/*.jar (" + copied.size() + " extra)");
    }
}
