package devana.bench;

import devana.bench.jmh.CpuTimeProfiler;
import devana.bench.jmh.PageFeedBenchmark;
import devana.bench.jmh.PagePipelineBenchmark;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * bench/run: start time, the side-by-side scenario (latency, API cost, misses, memory) and the JMH
 * pipeline benchmark, then one table. Options:
 * <pre>
 *   --minutes N     scenario length (default 14: 8 measured minutes, then 6 so that the page's
 *                   5-minute loop gets a turn after the last measured failure)
 *   --tail-s N      seconds at the end whose transitions are not measured (default 360)
 *   --tick-ms N     one workload move every N ms (default 2000)
 *   --poll-interval N  the app's devana.poll.interval in the scenario, ms (default 5000, the shipped one)
 *   --seed N        workload seed (default 6)
 *   --startups N    cold starts for start-to-first-poll (default 5)
 *   --idle-minutes N  measured minutes of the idle-account comparison (default 4, --quick 2; 0 skips it)
 *   --push-minutes N  minutes of pushes in the push-first comparison (default 3, --quick 2; 0 skips it)
 *   --many-accounts 1,10,100  one process serving that many busy accounts in turn (not run unless given)
 *   --many-minutes N  measured minutes of each (default 1)
 *   --quick         a smoke run: 3-minute scenario with a 30 s tail, 2 cold starts, short JMH
 *   --skip-scenario, --skip-startup, --skip-jmh, --jmh-db h2|postgresql|h2,postgresql
 *   --jmh-profile jfr   also record a JFR file per JMH trial (jmh-jfr/ in the work folder)
 *   --app-jar PATH       the jar to start (default target/devana-jobs.jar)
 *   --jvm-options "..."  JVM options for the app's process, replacing bin/devana-jobs' defaults (JAVA_OPTS)
 *   --work NAME          folder under bench/target for logs and results (default run)
 * </pre>
 */
public final class Bench {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private Bench() {
    }

    static void say(String format, Object... args) {
        System.out.println("[bench " + LocalTime.now().format(CLOCK) + "] " + String.format(format, args));
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        boolean quick = options.containsKey("quick");
        Path projectDir = Path.of(options.getOrDefault("project", ".")).toAbsolutePath().normalize();
        Path workDir = projectDir.resolve("bench/target/" + options.getOrDefault("work", "run"));
        Path jar = Path.of(options.getOrDefault("app-jar", projectDir.resolve("target/devana-jobs.jar").toString()))
                .toAbsolutePath();
        List<String> jvmOptions = options.containsKey("jvm-options")
                ? List.of(options.get("jvm-options").trim().split("\\s+")) : List.of();
        Files.createDirectories(workDir);
        long seed = Long.parseLong(options.getOrDefault("seed", "6"));
        Duration minutes = Duration.ofMinutes(Long.parseLong(options.getOrDefault("minutes", quick ? "3" : "14")));
        Duration tail = Duration.ofSeconds(Long.parseLong(options.getOrDefault("tail-s", quick ? "30" : "360")));
        Duration tick = Duration.ofMillis(Long.parseLong(options.getOrDefault("tick-ms", "2000")));
        int startups = Integer.parseInt(options.getOrDefault("startups", quick ? "2" : "5"));

        String machine = Machine.describe();
        String loadAtStart = Machine.load();
        say("machine: %s; load average %s", machine, loadAtStart);

        Startup.Result startup = options.containsKey("skip-startup") ? null
                : Startup.measure(projectDir, jar, workDir, startups, jvmOptions);
        Scenario.Result scenario = options.containsKey("skip-scenario") ? null
                : Scenario.run(new Scenario.Options(seed, tick, minutes, tail, projectDir, workDir, jar, jvmOptions,
                        Duration.ofMillis(Long.parseLong(options.getOrDefault("poll-interval", "5000")))));
        long idleMinutes = Long.parseLong(options.getOrDefault("idle-minutes", quick ? "2" : "4"));
        IdleAccount.Result idle = idleMinutes == 0 ? null
                : IdleAccount.run(projectDir, workDir, jar, jvmOptions, Duration.ofMinutes(idleMinutes));
        long pushMinutes = Long.parseLong(options.getOrDefault("push-minutes", quick ? "2" : "3"));
        PushFirst.Result push = pushMinutes == 0 ? null
                : PushFirst.run(projectDir, workDir, jar, jvmOptions, Duration.ofMinutes(pushMinutes));
        List<Integer> many = options.containsKey("many-accounts") ? java.util.Arrays.stream(options.get("many-accounts").split(","))
                .map(String::trim).map(Integer::valueOf).toList() : List.of();
        Duration manyMinutes = Duration.ofMinutes(Long.parseLong(options.getOrDefault("many-minutes", "1")));
        List<ManyAccounts.Row> manyRows = many.isEmpty() ? List.of()
                : ManyAccounts.run(projectDir, workDir, jar, jvmOptions, many, manyMinutes);
        String loadBeforeJmh = Machine.load();
        Map<String, Map<String, Double>> jmh = options.containsKey("skip-jmh") ? Map.of()
                : jmh(options, quick, projectDir, workDir);
        String loadAtEnd = Machine.load();

        Report report = new Report(machine, loadAtStart, loadBeforeJmh, loadAtEnd, seed, tick, projectDir.relativize(jar).toString(),
                jvmOptions.isEmpty() ? "the launcher's defaults (as shipped)" : String.join(" ", jvmOptions), startup, scenario, jmh);
        String text = report.markdown() + (idle == null ? "" : IdleAccount.markdown(idle))
                + (push == null ? "" : PushFirst.markdown(push))
                + (manyRows.isEmpty() ? "" : ManyAccounts.markdown(manyRows, manyMinutes));
        Path out = workDir.resolve("results.md");
        Files.writeString(out, text);
        System.out.println();
        System.out.println(text);
        say("written to %s", projectDir.relativize(out));
    }

    private static Map<String, Map<String, Double>> jmh(Map<String, String> options, boolean quick, Path projectDir,
                                                        Path workDir)
            throws Exception {
        Path log = workDir.resolve("jmh.log");
        say("JMH: pipeline per 100-job page (output in %s)", projectDir.relativize(log));
        ChainedOptionsBuilder builder = new OptionsBuilder()
                .include(PagePipelineBenchmark.class.getName() + ".*")
                .include(PageFeedBenchmark.class.getName() + ".*")
                .param("db", options.getOrDefault("jmh-db", "h2,postgresql").split(","))
                .forks(1)
                // the JVM options bin/devana-jobs runs the app with
                .jvmArgsAppend(AppProcess.launcherDefaults(projectDir).toArray(String[]::new))
                .warmupIterations(quick ? 2 : 4).warmupTime(TimeValue.seconds(quick ? 2 : 5))
                .measurementIterations(quick ? 3 : 6).measurementTime(TimeValue.seconds(quick ? 2 : 5))
                .addProfiler(GCProfiler.class)
                .addProfiler(CpuTimeProfiler.class)
                .output(log.toString());
        if ("jfr".equals(options.get("jmh-profile"))) {
            builder.addProfiler("jfr", "dir=" + workDir.resolve("jmh-jfr"));
        }
        Collection<RunResult> results = new Runner(builder.build()).run();
        Map<String, Map<String, Double>> table = new LinkedHashMap<>();
        for (RunResult run : results) {
            String benchmark = run.getParams().getBenchmark();
            String key = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1)
                    + paramsOf(run);
            Map<String, Double> row = new LinkedHashMap<>();
            row.put("ms/op", run.getPrimaryResult().getScore());
            row.put("ms/op error", run.getPrimaryResult().getScoreError());
            for (Map.Entry<String, Result> secondary : run.getSecondaryResults().entrySet()) {
                row.put(secondary.getKey(), secondary.getValue().getScore());
            }
            table.put(key, row);
            say("JMH %s: %s", key, row);
        }
        return table;
    }

    private static String paramsOf(RunResult run) {
        List<String> parts = new ArrayList<>();
        for (String name : run.getParams().getParamsKeys()) {
            parts.add(name + "=" + run.getParams().getParam(name));
        }
        return parts.toString();
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unknown argument " + args[i]);
            }
            String name = args[i].substring(2);
            boolean flag = List.of("quick", "skip-scenario", "skip-startup", "skip-jmh").contains(name);
            if (flag) {
                options.put(name, "true");
            } else if (i + 1 < args.length) {
                options.put(name, args[++i]);
            } else {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
        }
        return options;
    }

    static PrintStream out() {
        return System.out;
    }
}
