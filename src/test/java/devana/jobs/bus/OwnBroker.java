package devana.jobs.bus;

import static org.awaitility.Awaitility.await;

import devana.jobs.services.Service;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A broker of the machine's own install (mosquitto, nats-server, rabbitmq-server) started by a test with a configuration
 * of its own on a free loopback port, for a limit the shared one on its usual port does not have; stopped at close.
 * Where the program is not installed the test is skipped, or fails when REQUIRE_SERVICES=1 (as .ci/run sets).
 */
final class OwnBroker implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Runnable stop;

    private OwnBroker(Process process, int port, Runnable stop) {
        this.process = process;
        this.port = port;
        this.stop = stop;
    }

    /**
     * Starts {@code program} with {@code configuration(port)} written to a file of {@code dir}, passed as
     * {@code configFlag <file>}; returns once the port answers.
     */
    static OwnBroker start(String program, String configFlag, IntFunction<String> configuration, Path dir) throws IOException {
        Path binary = installed(program);
        int port = EmbeddedArtemis.freePort();
        Path config = dir.resolve(program + ".conf");
        Files.writeString(config, configuration.apply(port));
        ProcessBuilder command = new ProcessBuilder(binary.toString(), configFlag, config.toString());
        return started(program, command, port, dir, Duration.ofSeconds(10), null);
    }

    /**
     * A RabbitMQ node of its own (its own name, ports, data and {@code rabbitmq.conf} lines, no plugins) beside the
     * machine's, stopped with rabbitmqctl. Its folder is one that the server's own user may write to (rabbitmq-server
     * run as root works as that user), removed at close.
     */
    static OwnBroker rabbitmq(String configLines) throws IOException {
        Path binary = installed("rabbitmq-server");
        Path dir = Files.createTempDirectory("devana-jobs-rabbitmq-");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        int port = EmbeddedArtemis.freePort();
        String node = "devana-test-" + port + "@localhost";
        Files.writeString(dir.resolve("rabbitmq.conf"), configLines);
        Files.writeString(dir.resolve("enabled_plugins"), "[].");
        ProcessBuilder command = new ProcessBuilder(binary.toString());
        Map<String, String> env = command.environment();
        env.put("RABBITMQ_NODENAME", node);
        env.put("RABBITMQ_NODE_IP_ADDRESS", Service.HOST);
        env.put("RABBITMQ_NODE_PORT", String.valueOf(port));
        env.put("RABBITMQ_DIST_PORT", String.valueOf(EmbeddedArtemis.freePort()));
        env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
        env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
        Path ctl = binary.resolveSibling("rabbitmqctl");
        Runnable stop = () -> {
            try {
                new ProcessBuilder(ctl.toString(), "-n", node, "stop").redirectErrorStream(true)
                        .redirectOutput(dir.resolve("stop.log").toFile()).start().waitFor(30, TimeUnit.SECONDS);
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        return started("rabbitmq-server", command, port, dir, Duration.ofSeconds(60), stop);
    }

    private static Path installed(String program) {
        Path binary = List.of(Path.of("/usr/sbin", program), Path.of("/usr/bin", program), Path.of("/usr/local/bin", program))
                .stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (binary == null) {
            String problem = program + " is not installed";
            if ("1".equals(System.getenv("REQUIRE_SERVICES"))) {
                Assertions.fail(problem + " and REQUIRE_SERVICES=1 is set");
            }
            Assumptions.abort(problem + " (set REQUIRE_SERVICES=1 to fail instead)");
        }
        return binary;
    }

    /** Starts {@code command}, its output in a log of {@code dir}; returns once {@code port} answers. */
    private static OwnBroker started(String program, ProcessBuilder command, int port, Path dir, Duration patience,
                                     Runnable stop) throws IOException {
        Path log = dir.resolve(program + ".log");
        Process process = command.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        OwnBroker broker = new OwnBroker(process, port, stop);
        try {
            await().atMost(patience).until(() -> !process.isAlive() || Service.listening(Service.HOST, port));
            if (!process.isAlive() && !Service.listening(Service.HOST, port)) {
                throw new IllegalStateException(program + " stopped at once: " + Files.readString(log));
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
        if (stop != null) {
            stop.run();
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
