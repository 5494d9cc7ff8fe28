package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.DevanaEmulator;
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
    private LaunchedApp app;

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
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

        app = LaunchedApp.start(work, LaunchedApp.shippedJar(), dir, emulator, Map.of(), "--dev");
        await().atMost(Duration.ofSeconds(60)).failFast("the app stopped", () -> !app.isAlive())
                .until(() -> app.output().contains("dev mode probe says one") && app.output().contains("job " + first));

        Files.writeString(probe, PROBE.formatted("two"));
        await().atMost(Duration.ofSeconds(30)).failFast("the app stopped", () -> !app.isAlive())
                .until(() -> app.output().contains("dev mode probe says two"));
        // the same process, started once, and the poll still runs: a job added now is seen
        String second = emulator.job().type("SYNC").status("PENDING").add();
        await().atMost(Duration.ofSeconds(30)).until(() -> app.output().contains("job " + second));
        assertThat(app.isAlive()).isTrue();
        assertThat(app.output().split("Apache Camel \\(Main\\) [0-9.]+ is starting", -1)).hasSize(2);
    }

    @Test
    void refuses_dev_mode_where_there_are_no_route_files_to_watch() throws Exception {
        Path work = Files.createDirectories(dir.resolve("no-routes"));
        emulator = EmulatorExtension.startForTheApp();

        app = LaunchedApp.start(work, LaunchedApp.shippedJar(), dir, emulator, Map.of(), "--dev");

        assertThat(app.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(app.process().exitValue()).isEqualTo(2);
        assertThat(app.output()).contains("devana-jobs did not start: --dev reloads the route files of ./routes/, and there is no routes/ folder in");
    }
}
