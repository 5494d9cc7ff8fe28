package devana.jobs.bus;

import devana.jobs.services.Service;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Kafka broker in this JVM, in KRaft mode (one node that is both broker and controller, no
 * ZooKeeper), on free loopback ports, its log under a test folder: formatted like `kafka-storage.sh
 * format` does, then started like `kafka-server-start.sh`.
 */
final class EmbeddedKafka implements AutoCloseable {

    private final KafkaRaftServer server;
    private final int port;

    EmbeddedKafka(Path logDir, int partitions) throws Exception {
        port = EmbeddedArtemis.freePort();
        int controllerPort = EmbeddedArtemis.freePort();
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + Service.HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + Service.HOST + ":" + port + ",CONTROLLER://" + Service.HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + Service.HOST + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", String.valueOf(partitions));
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        KafkaConfig config = new KafkaConfig(p);

        new Formatter()
                .setPrintStream(System.out)
                .setClusterId(Uuid.randomUuid().toString())
                .setNodeId(1)
                .setControllerListenerName("CONTROLLER")
                .setMetadataLogDirectory(logDir.toString())
                .setDirectories(List.of(logDir.toString()))
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .run();
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
    }

    String bootstrapServers() {
        return Service.HOST + ":" + port;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
