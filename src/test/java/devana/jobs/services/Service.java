package devana.jobs.services;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The servers that dev and CI machines run on loopback for the integration tests. A test calls
 * {@code Service.POSTGRESQL.require()} first: where the port is closed the test is skipped with the
 * reason, or fails when the environment says REQUIRE_SERVICES=1 (as .ci/run does), so a CI machine
 * that lost a server cannot pass by skipping.
 */
public enum Service {
    POSTGRESQL("PostgreSQL", 5432),
    RABBITMQ("RabbitMQ", 5672),
    MOSQUITTO("Mosquitto (MQTT)", 1883),
    NATS("NATS", 4222);

    public static final String HOST = "127.0.0.1";
    private static final Map<Service, Boolean> REACHABLE = new ConcurrentHashMap<>();

    private final String label;
    private final int port;

    Service(String label, int port) {
        this.label = label;
        this.port = port;
    }

    public int port() {
        return port;
    }

    /** Skips (or, with REQUIRE_SERVICES=1, fails) the calling test unless the server answers on its port. */
    public void require() {
        boolean reachable = REACHABLE.computeIfAbsent(this, service -> listening(HOST, service.port));
        check(label, HOST, port, reachable, "1".equals(System.getenv("REQUIRE_SERVICES")));
    }

    static void check(String label, String host, int port, boolean reachable, boolean required) {
        if (reachable) {
            return;
        }
        String problem = label + " not reachable on " + host + ":" + port;
        if (required) {
            Assertions.fail(problem + " and REQUIRE_SERVICES=1 is set");
        }
        Assumptions.abort(problem + " (set REQUIRE_SERVICES=1 to fail instead)");
    }

    public static boolean listening(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
