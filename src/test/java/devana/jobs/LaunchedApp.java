package devana.jobs;

import devana.emulator.DevanaEmulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * devana-jobs as it ships, in a process of its own: {@code bin/devana-jobs} (the launcher and its JVM options, no
 * class-data archive) on a jar, polling an emulator, with an H2 file under the test's folder, its output in a file.
 * Closing it stops it as an operator would (SIGTERM, then a kill after 30 s) and prints its last lines, for the report
 * of a test that failed.
 */
public final class LaunchedApp implements AutoCloseable {

    private final Process process;
    private final Path log;

    private LaunchedApp(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts bin/devana-jobs in {@code workingDir} (where it reads application.properties and routes/ if they are
     * there) on {@code jar}, its data and output under {@code dir}; {@code env} adds to or overrides the environment.
     */
    public static LaunchedApp start(Path workingDir, Path jar, Path dir, DevanaEmulator emulator, Map<String, String> env,
                                    String... arguments) throws IOException {
        Path log = dir.resolve("app.log");
        List<String> command = new ArrayList<>(List.of(Path.of("bin", "devana-jobs").toAbsolutePath().toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workingDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.remove("JAVA_OPTS");
        environment.remove("DEVANA_JOBS_LIB");
        environment.put("DEVANA_JOBS_JAR", jar.toAbsolutePath().toString());
        environment.put("DEVANA_JOBS_CDS", "off");
        environment.put("DEVANA_BASE_URL", emulator.baseUrl());
        environment.put("DEVANA_API_KEY", emulator.apiKey());
        environment.put("DEVANA_POLL_INTERVAL", "2000");
        environment.put("JOBS_DB_URL", "jdbc:h2:file:" + dir.resolve("data").resolve("devana-jobs").toAbsolutePath());
        environment.put("JOBS_EVENTS_PUBLISH_INTERVAL", "200");
        environment.put("CAMEL_SERVER_PORT", String.valueOf(RunningApp.freePort()));
        environment.putAll(env);
        return new LaunchedApp(builder.start(), log);
    }

    /** The shipped jar, which mvn package builds before the integration tests run. */
    public static Path shippedJar() {
        return Path.of("target", "devana-jobs.jar");
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    /** Everything the process printed so far. */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        List<String> lines = output().lines().toList();
        System.err.println("--- the app's last lines ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
    }
}
