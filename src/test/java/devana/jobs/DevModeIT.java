package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/devana-jobs --dev} in a working directory of its own (a copy of application.properties and routes/, as a
 * team keeps them beside the jar): a route file saved again replaces its routes in the running process, without a
 * restart, while the others go on; without a routes/ folder to watch, --dev refuses to start and says why.
 */
class DevModeIT {

    private static final String PROBE = """
            - route:
                id: dev-mode-probe
                from:
                  uri: timer:dev-mode-probe
                  parameters:
                    repeatCount: 1
                  steps:
                    - log:
                        message: "dev mode probe says %s"
            """;

    @TempDir
    Path dir;

    private DevanaEmulator emulator;
    private Process app;
    private Path log;

    @AfterEach
    void stop() throws Exception {
        if (app != null && app.isAlive()) {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
        if (log != null && Files.exists(log)) {
            List<String> lines = Files.readAllLines(log);
            System.err.println("--- the app's last lines ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void reloads_a_saved_route_file_without_a_restart() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.copy(Path.of("application.properties"), work.resolve("application.properties"));
        Path routes = Files.createDirectories(work.resolve("routes"));
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : files.toList()) {
                Files.copy(file, routes.resolve(file.getFileName()));
            }
        }
        Path probe = routes.resolve("dev-mode-probe.camel.yaml");
        Files.writeString(probe, PROBE.formatted("one"));
        emulator = EmulatorExtension.startForTheApp();
        String first = emulator.job().type("SYNC").status("PENDING").add();

        app = launch(work, "--dev");
        await().atMost(Duration.ofSeconds(60)).failFast("the app stopped", () -> !app.isAlive())
                .until(() -> output().contains("dev mode probe says one") && output().contains("job " + first));

        Files.writeString(probe, PROBE.formatted("two"));
        await().atMost(Duration.ofSeconds(30)).failFast("the app stopped", () -> !app.isAlive())
                .until(() -> output().contains("dev mode probe says two"));
        // the same process, started once, and the poll still runs: a job added now is seen
        String second = emulator.job().type("SYNC").status("PENDING").add();
        await().atMost(Duration.ofSeconds(30)).until(() -> output().contains("job " + second));
        assertThat(app.isAlive()).isTrue();
        assertThat(output().split("Apache Camel \\(Main\\) [0-9.]+ is starting", -1)).hasSize(2);
    }

    @Test
    void refuses_dev_mode_where_there_are_no_route_files_to_watch() throws Exception {
        Path work = Files.createDirectories(dir.resolve("no-routes"));
        emulator = EmulatorExtension.startForTheApp();

        app = launch(work, "--dev");

        assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(app.exitValue()).isEqualTo(2);
        assertThat(output()).contains("devana-jobs did not start: --dev reloads the route files of ./routes/, and there is no routes/ folder in");
    }

    private String output() throws IOException {
        return Files.readString(log);
    }

    private Process launch(Path work, String... arguments) throws IOException {
        log = dir.resolve("app.log");
        List<String> command = new java.util.ArrayList<>(List.of(Path.of("bin", "devana-jobs").toAbsolutePath().toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.remove("JAVA_OPTS");
        env.remove("DEVANA_JOBS_LIB");
        env.put("DEVANA_JOBS_JAR", Path.of("target", "devana-jobs.jar").toAbsolutePath().toString());
        env.put("DEVANA_JOBS_CDS", "off");
        env.put("DEVANA_BASE_URL", emulator.baseUrl());
        env.put("DEVANA_API_KEY", emulator.apiKey());
        env.put("DEVANA_POLL_INTERVAL", "2000");
        env.put("JOBS_DB_URL", "jdbc:h2:file:" + dir.resolve("data").resolve("devana-jobs").toAbsolutePath());
        env.put("CAMEL_SERVER_PORT", String.valueOf(RunningApp.freePort()));
        return builder.start();
    }
}
