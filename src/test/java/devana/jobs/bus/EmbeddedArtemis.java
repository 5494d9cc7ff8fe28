package devana.jobs.bus;

import devana.jobs.services.Service;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;

/** An Apache Artemis broker in this JVM on a free loopback port, persistent under a folder, that a test can stop and start again. */
final class EmbeddedArtemis implements AutoCloseable {

    private final Path dir;
    private final int port;
    private EmbeddedActiveMQ server;

    EmbeddedArtemis(Path dir) throws Exception {
        this.dir = dir;
        this.port = freePort();
        start();
    }

    String url() {
        return "tcp://" + Service.HOST + ":" + port;
    }

    /** The settings docs/operations.md gives: a JMS connection factory bean that camel-jms picks up by its type. */
    Map<String, String> appSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("camel.beans.artemis", "#class:org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory");
        settings.put("camel.beans.artemis.brokerURL", url());
        return settings;
    }

    void start() throws Exception {
        Configuration config = new ConfigurationImpl()
                .setName("devana-test-broker")
                .setSecurityEnabled(false)
                .setPersistenceEnabled(true)
                .setJournalType(JournalType.NIO)
                .setJournalDirectory(dir.resolve("journal").toString())
                .setBindingsDirectory(dir.resolve("bindings").toString())
                .setLargeMessagesDirectory(dir.resolve("large").toString())
                .setPagingDirectory(dir.resolve("paging").toString())
                .addAcceptorConfiguration("tcp", url());
        server = new EmbeddedActiveMQ().setConfiguration(config);
        server.start();
    }

    void stop() throws Exception {
        server.stop();
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
