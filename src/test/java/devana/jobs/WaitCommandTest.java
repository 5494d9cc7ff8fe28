package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.emulator.Fault;
import devana.emulator.RecordedRequest;
import devana.jobs.wait.WaitCommand;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wait command against the emulator over real HTTP: in this JVM, and as the shipped command in a child JVM. */
class WaitCommandTest {

    @TempDir
    Path dir;

    private DevanaEmulator emulator;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private Process process;

    @BeforeEach
    void startEmulator() {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
    }

    @AfterEach
    void stop() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
        emulator.close();
    }

    @Test
    void exits_0_when_the_job_is_done_printing_a_line_per_change() throws Exception {
        String id = emulator.job().type("EXTRACTION").target("cm4docWait").status("IN_PROGRESS").progress(20).add();

        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> run("--target", "cm4docWait", "--timeout", "60s"));
        await().atMost(Duration.ofSeconds(20)).until(() -> out().contains("IN_PROGRESS 20%  job " + id));
        emulator.update(id, "IN_PROGRESS", 65);
        await().atMost(Duration.ofSeconds(20)).until(() -> out().contains("IN_PROGRESS 65%"));
        emulator.update(id, "DONE", 100);

        assertThat(exit.get(20, TimeUnit.SECONDS)).isEqualTo(0);
        assertThat(out()).contains("DONE 100%  job " + id).contains("done: job " + id + " EXTRACTION of target cm4docWait");
        assertThat(out().lines().filter(l -> l.contains("IN_PROGRESS 20%")).count()).as("one line per change").isEqualTo(1);
        assertThat(err()).isEmpty();
        assertThat(emulator.requests()).allSatisfy(r -> assertThat(r.query()).contains("targetId=cm4docWait").doesNotContain("type="));
        assertThat(gaps(emulator.requests())).allSatisfy(gap -> assertThat(gap).isGreaterThanOrEqualTo(Duration.ofMillis(1950)));
    }

    @Test
    void prints_the_apis_text_with_its_control_characters_escaped() {
        String hostile = "bad PDF\n::error file=ci.yml::owned\u001b[2J\u001b]0;title\u0007\u009b31m\u202eevil";
        emulator.job().type("EXTRACTION").target("cm4docHostileText").status("ERROR").error(hostile)
                .metadata(Map.of("fileName", "a.pdf")).add();

        assertThat(run("--target", "cm4docHostileText")).isEqualTo(1);
        String printed = out() + err();
        assertThat(printed).contains("bad PDF\\n::error file=ci.yml::owned\\u001b[2J");
        assertThat(printed.lines()).noneMatch(line -> line.startsWith("::error"));
        assertThat(printed.chars().filter(c -> (c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f) || c == 0x202e))
                .as("control characters printed raw").isEmpty();
    }

    @Test
    void exits_1_and_prints_the_jobs_error_when_it_fails() {
        String id = emulator.job().type("EMBEDDING").target("cm4folderW").status("ERROR").progress(40)
                .error("Vector store write timed out after 30000 ms").add();

        assertThat(run("--target", "cm4folderW")).isEqualTo(1);
        assertThat(err()).contains("failed: job " + id + " EMBEDDING of target cm4folderW: Vector store write timed out after 30000 ms");
    }

    @Test
    void exits_2_after_the_timeout_saying_where_the_job_stands() {
        emulator.job().type("SYNC").target("cm4folderSlow").status("IN_PROGRESS").progress(10).add();
        Instant start = Instant.now();

        assertThat(run("--target", "cm4folderSlow", "--timeout", "3s")).isEqualTo(2);
        assertThat(Duration.between(start, Instant.now())).isBetween(Duration.ofMillis(2900), Duration.ofSeconds(10));
        assertThat(err()).contains("timed out after 3 s").contains("is still IN_PROGRESS (10%)");
    }

    @Test
    void waits_for_a_job_that_does_not_exist_yet_and_times_out_if_none_comes() throws Exception {
        assertThat(run("--target", "cm4docNothing", "--timeout", "2s")).isEqualTo(2);
        assertThat(out()).contains("waiting: no job of target cm4docNothing yet");
        assertThat(err()).contains("no job of target cm4docNothing appeared");

        out.reset();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> run("--target", "cm4docLater", "--timeout", "60s"));
        await().atMost(Duration.ofSeconds(20)).until(() -> out().contains("waiting: no job of target cm4docLater yet"));
        emulator.job().type("IMPORT").target("cm4docLater").status("DONE").progress(100).add();
        assertThat(exit.get(20, TimeUnit.SECONDS)).isEqualTo(0);
    }

    @Test
    void follows_the_newest_job_of_the_given_type_filtering_on_its_side() {
        Instant now = Instant.now();
        emulator.job().type("EXTRACTION").target("cm4docMixed").status("ERROR").error("old failure").createdAt(now.minusSeconds(600)).add();
        String extraction = emulator.job().type("EXTRACTION").target("cm4docMixed").status("DONE").progress(100)
                .createdAt(now.minusSeconds(300)).add();
        emulator.job().type("EMBEDDING").target("cm4docMixed").status("IN_PROGRESS").progress(5).createdAt(now).add();

        assertThat(run("--target", "cm4docMixed", "--type", "EXTRACTION")).isEqualTo(0);
        assertThat(out()).contains("done: job " + extraction + " EXTRACTION");
        assertThat(emulator.requests()).singleElement().satisfies(r -> assertThat(r.query()).doesNotContain("type="));
    }

    @Test
    void exits_3_when_the_api_refuses_the_key() {
        emulator.job().type("EXTRACTION").target("cm4docKey").status("DONE").add();
        Map<String, String> wrongKey = settings();
        wrongKey.put("devana.api-key", "not-the-key");

        assertThat(WaitCommand.run(new String[] {"--target", "cm4docKey"}, "classpath:application.properties", wrongKey,
                print(out), print(err), false, Clock.systemUTC())).isEqualTo(3);
        assertThat(err()).contains("the Devana API refused the API key (HTTP 401): check DEVANA_API_KEY");
    }

    @Test
    void exits_3_on_a_usage_error_with_the_reason_and_the_usage() {
        Map<String, String[]> mistakes = new LinkedHashMap<>();
        mistakes.put("--target <id> is required", new String[] {"--type", "EXTRACTION"});
        mistakes.put("--type IN_PROGRESS is a status", new String[] {"--target", "cm4doc1", "--type", "IN_PROGRESS"});
        mistakes.put("--timeout must be a duration", new String[] {"--target", "cm4doc1", "--timeout", "soon"});
        mistakes.put("--interval must be at least 2s", new String[] {"--target", "cm4doc1", "--interval", "500ms"});
        mistakes.put("--target must be a Devana id", new String[] {"--target", "../../v1/admin"});
        mistakes.put("unknown option --wait", new String[] {"--target", "cm4doc1", "--wait"});
        for (Map.Entry<String, String[]> mistake : mistakes.entrySet()) {
            err.reset();
            assertThat(run(mistake.getValue())).as(mistake.getKey()).isEqualTo(3);
            assertThat(err()).as(mistake.getKey()).contains(mistake.getKey()).contains("usage: java -jar devana-jobs.jar wait");
        }
        assertThat(emulator.requests()).isEmpty();

        err.reset();
        Map<String, String> noApi = new LinkedHashMap<>();
        noApi.put("devana.api-key", "some-key");
        assertThat(WaitCommand.run(new String[] {"--target", "cm4doc1"}, "classpath:application.properties", noApi,
                print(out), print(err), false, Clock.systemUTC())).isEqualTo(3);
        assertThat(err()).contains("DEVANA_BASE_URL is not set");
    }

    @Test
    void waits_out_a_429s_retry_after_and_rides_out_a_503() throws Exception {
        emulator.job().type("GENERATION").target("cm4docBusy").status("DONE").progress(100).add();
        emulator.injectFault("GET /v1/jobs", Fault.tooManyRequests(4), 1);
        emulator.injectFault("GET /v1/jobs", Fault.html(503), 1);

        assertThat(run("--target", "cm4docBusy", "--timeout", "60s")).isEqualTo(0);
        List<RecordedRequest> requests = emulator.requests();
        assertThat(requests).extracting(RecordedRequest::status).containsExactly(429, 503, 200);
        assertThat(Duration.between(requests.get(0).at(), requests.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(3900));
        assertThat(out()).contains("rate limited by the Devana API").contains("the Devana API answered HTTP 503; asking again in 2 s");
    }

    @Test
    void the_shipped_command_exits_with_the_status_code_for_the_shell() throws Exception {
        emulator.job().type("EXTRACTION").target("cm4docShell").status("ERROR").error("PDF parsing failed: corrupted xref table").add();
        Path log = dir.resolve("wait.log");

        process = childJvm(List.of("wait", "--target", "cm4docShell"), log).start();

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        assertThat(Files.readString(log)).contains("failed: job").contains("PDF parsing failed: corrupted xref table")
                .doesNotContain(emulator.apiKey());
    }

    @Test
    void draws_a_progress_bar_on_a_terminal() throws Exception {
        Path script = Path.of("/usr/bin/script");
        assumeTrue(Files.isExecutable(script), "util-linux 'script' (a pseudo-terminal) is not installed");
        emulator.job().type("TRANSCRIPTION").target("cm4docTty").status("IN_PROGRESS").progress(45).add();
        Path log = dir.resolve("tty.log");
        List<String> command = new ArrayList<>(List.of("wait", "--target", "cm4docTty", "--timeout", "3s"));
        String line = String.join(" ", childJvm(command, log).command().stream().map(a -> "'" + a + "'").toList());

        ProcessBuilder tty = new ProcessBuilder(List.of(script.toString(), "-qefc", line, "/dev/null"))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        tty.environment().putAll(childJvm(command, log).environment());
        process = tty.start();

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        String screen = Files.readString(log);
        assertThat(screen).contains("\r[#########-----------] IN_PROGRESS 45%").contains("timed out after 3 s");
    }

    private ProcessBuilder childJvm(List<String> args, Path log) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DevanaJobs.class.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).directory(new File(System.getProperty("user.dir")))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("DEVANA_BASE_URL", emulator.baseUrl());
        builder.environment().put("DEVANA_API_KEY", emulator.apiKey());
        return builder;
    }

    private int run(String... args) {
        return WaitCommand.run(args, "classpath:application.properties", settings(), print(out), print(err), false, Clock.systemUTC());
    }

    private Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("devana.base-url", emulator.baseUrl());
        settings.put("devana.api-key", emulator.apiKey());
        return settings;
    }

    private static List<Duration> gaps(List<RecordedRequest> requests) {
        List<Duration> gaps = new ArrayList<>();
        for (int i = 1; i < requests.size(); i++) {
            gaps.add(Duration.between(requests.get(i - 1).at(), requests.get(i).at()));
        }
        return gaps;
    }

    private static PrintStream print(ByteArrayOutputStream buffer) {
        return new PrintStream(buffer, true, StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
