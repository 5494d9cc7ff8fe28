package devana.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * devana-jobs as it ships: {@code bin/devana-jobs} (the launcher: {@code java} on the jar with its default JVM
 * options and class-data archive) in a child process, started from the project folder (so the
 * top-level routes/ and application.properties are the ones loaded), configured only through
 * environment variables, as in production. JVM options given to the bench replace the launcher's
 * (JAVA_OPTS); the class-data archive is kept in the work folder ({@link #archive}).
 */
final class AppProcess implements AutoCloseable {

    private final Process process;
    private final long startedNanos;
    private final Path log;

    private AppProcess(Process process, long startedNanos, Path log) {
        this.process = process;
        this.startedNanos = startedNanos;
        this.log = log;
    }

    static AppProcess start(Path projectDir, Map<String, String> env, Path log, List<String> jvmOptions) throws IOException {
        return start(projectDir, projectDir.resolve("target/devana-jobs.jar"), env, log, jvmOptions);
    }

    static AppProcess start(Path projectDir, Path jar, Map<String, String> env, Path log, List<String> jvmOptions)
            throws IOException {
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>();
        command.add(projectDir.resolve("bin/devana-jobs").toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(projectDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(key -> key.startsWith("DEVANA_") || key.startsWith("JOBS_")
                || key.startsWith("JAVA_TOOL_OPTIONS") || key.equals("JDK_JAVA_OPTIONS") || key.equals("JAVA_OPTS")
                || key.startsWith("CAMEL_"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("DEVANA_JOBS_JAR", jar.toString());
        builder.environment().put("DEVANA_JOBS_CDS", archive(log.getParent()).toString());
        if (!jvmOptions.isEmpty()) {
            builder.environment().put("JAVA_OPTS", String.join(" ", jvmOptions));
        }
        builder.environment().putAll(env);
        long started = System.nanoTime();
        return new AppProcess(builder.start(), started, log);
    }

    /** A port nobody listens on right now, for an app's CAMEL_SERVER_PORT. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The launcher's default JVM options, as its JAVA_OPTS default names them. */
    static List<String> launcherDefaults(Path projectDir) throws IOException {
        java.util.regex.Matcher defaults = java.util.regex.Pattern.compile("JAVA_OPTS-([^}]*)}")
                .matcher(Files.readString(projectDir.resolve("bin/devana-jobs")));
        if (!defaults.find()) {
            throw new IllegalStateException("bin/devana-jobs does not name its default JVM options");
        }
        return List.of(defaults.group(1).trim().split("\\s+"));
    }

    /** The class-data archive the launcher writes on a first start and maps on the next ones. */
    static Path archive(Path workDir) {
        return workDir.resolve("devana-jobs.jsa");
    }

    long startedNanos() {
        return startedNanos;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    /** Resident memory (VmRSS of /proc/pid/status) in KiB, or -1 once the process is gone. */
    long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** SIGTERM, as an operator stops it; returns the exit code. */
    int stop(Duration patience) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop(Duration.ofSeconds(20));
        }
    }
}
