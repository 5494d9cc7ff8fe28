package devana.jobs.bus;

import static org.awaitility.Awaitility.await;

import devana.jobs.services.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A broker of the machine's own install (mosquitto, nats-server) started by a test with a configuration of its own on a
 * free loopback port, for a limit the shared one on its usual port does not have; stopped at close. Where the program
 * is not installed the test is skipped, or fails when REQUIRE_SERVICES=1 (as .ci/run sets).
 */
final class OwnBroker implements AutoCloseable {

    private final Process process;
    private final int port;

    private OwnBroker(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts {@code program} with {@code configuration(port)} written to a file of {@code dir}, passed as
     * {@code configFlag <file>}; returns once the port answers.
     */
    static OwnBroker start(String program, String configFlag, IntFunction<String> configuration, Path dir) throws IOException {
        Path binary = List.of(Path.of("/usr/sbin", program), Path.of("/usr/bin", program), Path.of("/usr/local/bin", program))
                .stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (binary == null) {
            String problem = program + " is not installed";
            if ("1".equals(System.getenv("REQUIRE_SERVICES"))) {
                Assertions.fail(problem + " and REQUIRE_SERVICES=1 is set");
            }
            Assumptions.abort(problem + " (set REQUIRE_SERVICES=1 to fail instead)");
        }
        int port = EmbeddedArtemis.freePort();
        Path config = dir.resolve(program + ".conf");
        Files.writeString(config, configuration.apply(port));
        Process process = new ProcessBuilder(binary.toString(), configFlag, config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(program + ".log").toFile()).start();
        OwnBroker broker = new OwnBroker(process, port);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive() || Service.listening(Service.HOST, port));
            if (!process.isAlive()) {
                throw new IllegalStateException(program + " stopped at once: " + Files.readString(dir.resolve(program + ".log")));
            }
            return broker;
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
