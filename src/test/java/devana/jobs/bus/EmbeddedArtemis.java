package devana.jobs.bus;

import devana.jobs.services.Service;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.ActiveMQExceptionType;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.JournalType;
import org.apache.activemq.artemis.core.server.ServerSession;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.server.plugin.ActiveMQServerMessagePlugin;
import org.apache.activemq.artemis.core.transaction.Transaction;

/** An Apache Artemis broker in this JVM on a free loopback port, persistent under a folder, that a test can stop and start again. */
final class EmbeddedArtemis implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final int refusedAboveBytes;
    private EmbeddedActiveMQ server;

    EmbeddedArtemis(Path dir) throws Exception {
        this(dir, 0);
    }

    /**
     * A broker whose policy refuses every message over {@code refusedAboveBytes} (none when 0), the way a team's
     * broker plugin does: by throwing an ActiveMQException before the message is routed, which the client is told.
     */
    EmbeddedArtemis(Path dir, int refusedAboveBytes) throws Exception {
        this.dir = dir;
        this.port = freePort();
        this.refusedAboveBytes = refusedAboveBytes;
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
        if (refusedAboveBytes > 0) {
            config.registerBrokerPlugin(new ActiveMQServerMessagePlugin() {
                @Override
                public void beforeSend(ServerSession session, Transaction tx, org.apache.activemq.artemis.api.core.Message message,
                                       boolean direct, boolean noAutoCreateQueue) throws ActiveMQException {
                    if (message.getEncodeSize() > refusedAboveBytes) {
                        throw new ActiveMQException(ActiveMQExceptionType.ILLEGAL_STATE, "policy: a message of "
                                + message.getEncodeSize() + " bytes is over the " + refusedAboveBytes + " allowed");
                    }
                }
            });
        }
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
