package devana.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The table bench/run prints, in Markdown, targets marked met or not met. */
record Report(String machine, String loadAtStart, String loadBeforeJmh, String loadAtEnd, long seed, Duration tick,
              String appJar, String appJvmOptions,
              Startup.Result startup, Scenario.Result scenario, Map<String, Map<String, Double>> jmh) {

    private static final double TARGET_CPU_US = 5_000;
    private static final double TARGET_REQUESTS = 50;
    private static final double TARGET_START_MS = 2_000;
    private static final double TARGET_RSS_MB = 200;

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("Machine: ").append(machine).append("\n");
        md.append("App under test: bin/devana-jobs (the launcher, on ").append(appJar).append("); JVM options: ").append(appJvmOptions).append("\n");
        md.append("Load average (1/5/15 min): at start ").append(loadAtStart);
        if (scenario != null) {
            md.append("; scenario start ").append(scenario.loadBefore()).append(", end ").append(scenario.loadAfter());
        }
        md.append("; before JMH ").append(loadBeforeJmh).append("; at end ").append(loadAtEnd).append("\n\n");
        md.append("| # | measure | devana-jobs | page's approach | page / ours | target | met? |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        if (scenario != null) {
            scenarioRows(md);
        }
        if (!jmh.isEmpty()) {
            jmhRows(md);
        }
        if (startup != null) {
            md.append(row("4", "start to first poll, median of " + startup.stats().n()
                            + " starts with the class-data archive (each run)",
                    String.format("%,.0f ms (%s)", startup.stats().median(), joinMillis(startup.millis())), "-", "-",
                    "< 2,000 ms", met(startup.stats().median() < TARGET_START_MS)));
            md.append(row("4", "- the very first start (no archive yet; it writes one when it stops)",
                    String.format("%,.0f ms", startup.firstMillis()), "-", "-", "< 2,000 ms",
                    met(startup.firstMillis() < TARGET_START_MS)));
        }
        if (scenario != null) {
            double mb = scenario.rssAt10MinKiB() * 1024 / 1e6;
            String when = scenario.rssMinuteMark() >= 10 ? "after 10 min of steady polling"
                    : String.format("after %.1f min only (run shorter than 10 min)", scenario.rssMinuteMark());
            md.append(row("4", "resident memory (VmRSS) " + when, String.format("%,.0f MB", mb), "-", "-", "< 200 MB",
                    scenario.rssMinuteMark() >= 10 ? met(mb < TARGET_RSS_MB) : "not measured at 10 min"));
        }
        if (scenario != null) {
            scenarioNotes(md);
        }
        return md.toString();
    }

    private void scenarioRows(StringBuilder md) {
        Scenario.Side app = scenario.app();
        Scenario.Side page = scenario.page();
        double interval = scenario.pollInterval().toMillis();
        md.append(row("1", "detection latency, all measured transitions, median / p99",
                app.all().seconds(), page.all().seconds(), ratio(page.all().median(), app.all().median()),
                "median <= poll interval + 100 ms = " + String.format("%,.0f ms", interval + 100),
                met(app.all().median() <= interval + 100)));
        md.append(row("1", "- ERROR -> retry POST received", app.failures().seconds(), page.failures().seconds(),
                ratio(page.failures().median(), app.failures().median()), "", ""));
        md.append(row("1", "- DONE -> completion row committed (page: monitor returns)", app.completions().seconds(),
                page.completions().seconds(), ratio(page.completions().median(), app.completions().median()), "", ""));
        md.append(row("1", "- DONE: the change to the first request after it (waiting for a cycle)", app.completionWaits().ms(),
                page.completionWaits().ms(), "", "", ""));
        md.append(row("1", "- DONE: that request to the completion row (the cycle's own time)", app.completionCycles().ms(),
                page.completionCycles().ms(), "", "", ""));
        md.append(row("1", "- time between two requests for the newest page (page: its loop's pages)", app.newestPagePeriods().ms(),
                page.newestPagePeriods().ms(), "", "", ""));
        md.append(row("1", "- ERROR -> seen by a monitor (page only; it raises, retries wait for the loop)", "-",
                page.failuresSeen().seconds(), "-", "", ""));
        md.append(row("2", "GET requests/min to track the workload", String.format("%.1f", app.getsPerMinute()),
                String.format("%,.1f", page.getsPerMinute()), ratio(page.getsPerMinute(), app.getsPerMinute()),
                "<= 50 requests/min", met(app.getsPerMinute() <= TARGET_REQUESTS)));
        md.append(row("2", "retry POSTs/min", String.format("%.1f", app.postsPerMinute()),
                String.format("%.1f", page.postsPerMinute()), ratio(page.postsPerMinute(), app.postsPerMinute()), "", ""));
        double appShare = app.getsPerMinute() + app.postsPerMinute();
        double pageShare = page.getsPerMinute() + page.postsPerMinute();
        md.append(row("2", "share of the API's 100 requests/min (GET + POST)", String.format("%.0f %%", appShare),
                String.format("%,.0f %%", pageShare), ratio(pageShare, appShare), "", ""));
        md.append(row("5", "retry POSTs per failed EXTRACTION/EMBEDDING job (failures retried 2+ times)",
                String.format("%.2f (%d)", app.retriesPerFailure(), app.failuresRetriedTwiceOrMore()),
                String.format("%.2f (%d)", page.retriesPerFailure(), page.failuresRetriedTwiceOrMore()), "", "1", ""));
        md.append(row("5", "failures never retried", app.failuresMissed() + " of " + app.retriableFailures(),
                page.failuresMissed() + " of " + page.retriableFailures(), "", "0", ""));
        md.append(row("5", "completions never recorded / seen", app.completionsMissed() + " of " + app.completionsMeasured(),
                page.completionsMissed() + " of " + page.completionsMeasured(), "", "0", ""));
    }

    private void jmhRows(StringBuilder md) {
        for (String db : List.of("h2", "postgresql")) {
            for (String mix : List.of("steady", "new", "unchanged")) {
                Map<String, Double> run = jmh.get("PagePipelineBenchmark.pollOnePage[db=" + db + ", mix=" + mix + "]");
                if (run == null) {
                    continue;
                }
                Map<String, Double> feed = jmh.getOrDefault("PageFeedBenchmark.nextPage[mix=" + mix + "]", Map.of());
                double worker = run.getOrDefault("cpu.worker.norm", Double.NaN) - feed.getOrDefault("cpu.worker.norm", 0.0);
                double process = run.getOrDefault("cpu.process.norm", Double.NaN) - feed.getOrDefault("cpu.process.norm", 0.0);
                double alloc = run.getOrDefault("gc.alloc.rate.norm", Double.NaN) - feed.getOrDefault("gc.alloc.rate.norm", 0.0);
                double ms = run.get("ms/op");
                boolean judged = db.equals("h2");
                md.append(row("3", String.format("100-job page, %s, %s mix: CPU (pipeline thread / whole JVM), allocation, wall",
                                db, mix),
                        String.format("%,.2f / %,.2f ms CPU; %,.0f KB; %,.2f ± %.2f ms", worker / 1000, process / 1000,
                                alloc / 1000, ms, run.get("ms/op error")),
                        "-", "-", judged ? "< 5 ms CPU (H2)" : "",
                        judged ? met(process < TARGET_CPU_US) + (worker < TARGET_CPU_US && process >= TARGET_CPU_US
                                ? " (thread alone: met)" : "") : ""));
                md.append(row("3", String.format("- pipeline throughput, %s, %s mix", db, mix),
                        String.format("%,.0f job observations/s", 100 * 1000 / ms), "-", "-", "", ""));
            }
        }
    }

    private void scenarioNotes(StringBuilder md) {
        Scenario.Result s = scenario;
        md.append("\nScenario: seed ").append(seed).append(", one move every ").append(tick.toMillis())
                .append(" ms, 1,100 visible jobs of which 100 active; ")
                .append(s.transitions()).append(" transitions in ")
                .append(Duration.between(s.from(), s.to()).toMinutes()).append(" min, the first ").append(s.measured())
                .append(" measured (").append(s.unsupportedFailures())
                .append(" of them failures of types without a retry call, left out of the latency); devana-jobs exit code ")
                .append(s.appExitCode()).append(" on SIGTERM; first poll of that run ")
                .append(s.startToFirstPollMillis()).append(" ms after its start.\n\n");
        md.append("Requests by kind over the ").append(String.format("%.1f", s.app().minutes())).append(" min:\n\n");
        md.append("| kind | devana-jobs | page's approach |\n|---|---|---|\n");
        for (String kind : s.app().requests().keySet()) {
            md.append("| ").append(kind).append(" | ").append(s.app().requests().get(kind)).append(" | ")
                    .append(s.page().requests().getOrDefault(kind, 0L)).append(" |\n");
        }
        List<String> rss = new ArrayList<>();
        for (long[] sample : s.rss()) {
            rss.add(String.valueOf(sample[1] / 1024));
        }
        md.append("\nRSS samples every 5 s (MiB): ").append(String.join(" ", rss)).append("\n");
    }

    private static String row(String n, String what, String ours, String page, String ratio, String target, String met) {
        return "| " + n + " | " + what + " | " + ours + " | " + page + " | " + ratio + " | " + target + " | " + met + " |\n";
    }

    private static String ratio(double page, double ours) {
        if (Double.isNaN(page) || Double.isNaN(ours) || ours == 0) {
            return "-";
        }
        return String.format("%,.1f x", page / ours);
    }

    private static String met(boolean met) {
        return met ? "met" : "**not met**";
    }

    private static String joinMillis(List<Double> values) {
        List<String> parts = new ArrayList<>();
        values.forEach(v -> parts.add(String.format("%.0f", v)));
        return String.join(", ", parts);
    }
}
