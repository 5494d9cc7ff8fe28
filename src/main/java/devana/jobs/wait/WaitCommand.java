package devana.jobs.wait;

import devana.jobs.client.MalformedPageException;
import devana.jobs.config.Locations;
import devana.jobs.config.Settings;
import devana.jobs.pacing.ExponentialBackoff;
import devana.jobs.text.OneLine;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;

/**
 * {@code wait --target <id> [--type T] [--timeout 120s]}: the vendor page's check_job_status and
 * wait_for_job for CI pipelines and shells. Polls the target's jobs (no more often than every 2 s,
 * honouring a 429's Retry-After), follows the newest job of the type, shows a progress bar on a
 * terminal or a line per change otherwise ({@link ProgressLine}), and ends with 0 DONE, 1 ERROR, 2 timeout,
 * 3 usage/auth. Its command line is {@link WaitOptions}.
 */
public final class WaitCommand {

    public static final int DONE = 0;
    public static final int FAILED = 1;
    public static final int TIMED_OUT = 2;
    public static final int USAGE = 3;

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final PrintStream out;
    private final PrintStream err;
    private final Clock clock;
    private final ProgressLine progressLine;

    WaitCommand(PrintStream out, PrintStream err, boolean terminal, Clock clock) {
        this.out = out;
        this.err = err;
        this.clock = clock;
        this.progressLine = new ProgressLine(out, terminal, clock);
    }

    /** The command as the shipped program runs it: the working directory's settings, the process's streams. */
    public static CommandLine commandLine() {
        return WaitOptions.commandLine(options -> {
            // the client's own warnings would break the progress bar; this command says it in its words
            Configurator.setLevel("devana.jobs", Level.ERROR);
            Configurator.setLevel("org.apache.camel", Level.ERROR);
            return run(options, Locations.properties(), Map.of(), System.out, System.err, System.console() != null,
                    Clock.systemUTC());
        }, System.out, System.err);
    }

    /** Runs the command; {@code overrides} take precedence over the properties file and the environment. */
    public static int run(String[] args, String propertiesLocation, Map<String, String> overrides, PrintStream out,
                          PrintStream err, boolean terminal, Clock clock) {
        return WaitOptions.commandLine(options -> run(options, propertiesLocation, overrides, out, err, terminal, clock),
                out, err).execute(args);
    }

    private static int run(WaitOptions options, String propertiesLocation, Map<String, String> overrides,
                           PrintStream out, PrintStream err, boolean terminal, Clock clock) {
        TargetJobs api;
        try {
            api = TargetJobs.open(propertiesLocation, overrides, clock);
        } catch (Settings.InvalidSettingException e) {
            err.println("wait: " + e.getMessage());
            return USAGE;
        }
        try (api) {
            return new WaitCommand(out, err, terminal, clock).waitFor(options, api);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("wait: interrupted");
            return TIMED_OUT;
        }
    }

    int waitFor(WaitOptions options, TargetJobs api) throws InterruptedException {
        Instant start = clock.instant();
        Instant deadline = start.plus(options.timeout());
        String what = (options.type() == null ? "job" : options.type() + " job") + " of target " + options.target();
        Map<String, Object> last = null;
        ExponentialBackoff backoff = ExponentialBackoff.exact(shorter(options.interval(), MAX_BACKOFF), MAX_BACKOFF);
        int failuresInARow = 0;
        while (true) {
            Instant now = clock.instant();
            if (!now.isBefore(deadline)) {
                progressLine.finishLine();
                err.println("wait: timed out after " + seconds(options.timeout()) + ": " + (last == null
                        ? "no " + what + " appeared" : "job " + text(last.get("id")) + " is still " + describe(last)));
                return TIMED_OUT;
            }
            if (api.budget().isPaused()) {
                Instant until = api.budget().pausedUntil().isBefore(deadline) ? api.budget().pausedUntil() : deadline;
                sleepUntil(until);
                continue;
            }
            Duration pause = options.interval();
            try {
                List<Map<String, Object>> jobs = api.jobs(options.target());
                failuresInARow = 0;
                Map<String, Object> job = newest(jobs, options.type());
                if (job == null) {
                    progressLine.show("waiting: no " + what + " yet", null);
                } else {
                    last = job;
                    String status = String.valueOf(job.get("status"));
                    if ("DONE".equals(status)) {
                        progressLine.show(line(job), progress(job));
                        progressLine.finishLine();
                        out.println("done: job " + text(job.get("id")) + " " + text(job.get("type")) + " of target " + options.target()
                                + " finished in " + seconds(Duration.between(start, clock.instant())) + " of waiting");
                        return DONE;
                    }
                    if ("ERROR".equals(status)) {
                        progressLine.show(line(job), progress(job));
                        progressLine.finishLine();
                        Object error = job.get("error");
                        err.println("failed: job " + text(job.get("id")) + " " + text(job.get("type")) + " of target " + options.target()
                                + ": " + (error == null ? "the API gives no error message" : OneLine.printable(String.valueOf(error), 1000)));
                        return FAILED;
                    }
                    progressLine.show(line(job), progress(job));
                }
            } catch (HttpOperationFailedException e) {
                int code = e.getStatusCode();
                if (code == 401 || code == 403) {
                    progressLine.finishLine();
                    err.println("wait: the Devana API refused the API key (HTTP " + code + "): check DEVANA_API_KEY");
                    return USAGE;
                }
                if (code == 400) {
                    progressLine.finishLine();
                    err.println("wait: the Devana API refused the request (HTTP 400): "
                            + OneLine.printable(e.getResponseBody(), OneLine.FAILURE_LENGTH));
                    return USAGE;
                }
                if (code == 429) {
                    progressLine.say("rate limited by the Devana API: waiting until " + ProgressLine.time(api.budget().pausedUntil())
                            + " (Retry-After)");
                    continue;
                }
                pause = backoff.after(++failuresInARow);
                progressLine.say("the Devana API answered HTTP " + code + "; asking again in " + seconds(pause));
            } catch (MalformedPageException e) {
                pause = backoff.after(++failuresInARow);
                progressLine.say("unreadable answer from the Devana API (" + OneLine.printable(e.getMessage(), OneLine.FAILURE_LENGTH)
                        + "); asking again in " + seconds(pause));
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                pause = backoff.after(++failuresInARow);
                progressLine.say("cannot reach the Devana API at " + api.baseUrl() + " (" + OneLine.of(e) + "); asking again in "
                        + seconds(pause));
            }
            Instant next = clock.instant().plus(pause);
            sleepUntil(next.isBefore(deadline) ? next : deadline);
        }
    }

    /** The newest job of the type (all types when null): the API lists newest first, createdAt decides ties of order. */
    static Map<String, Object> newest(List<Map<String, Object>> jobs, String type) {
        return jobs.stream()
                .filter(job -> type == null || type.equals(job.get("type")))
                .max(Comparator.comparing(job -> String.valueOf(job.getOrDefault("createdAt", ""))))
                .orElse(null);
    }

    private static Integer progress(Map<String, Object> job) {
        if (job.get("progress") instanceof Number number) {
            return (int) Math.max(0, Math.min(100, Math.round(number.doubleValue())));
        }
        return "DONE".equals(job.get("status")) ? 100 : null;
    }

    private static String describe(Map<String, Object> job) {
        Integer progress = progress(job);
        return text(job.get("status")) + (progress == null ? "" : " (" + progress + "%)");
    }

    private static String line(Map<String, Object> job) {
        Integer progress = progress(job);
        return text(job.get("status")) + (progress == null ? "" : " " + progress + "%") + "  job " + text(job.get("id")) + " "
                + text(job.get("type")) + " target " + text(job.get("targetId"));
    }

    /** A value from the API as it may reach a terminal or a CI log: control characters escaped, cut. */
    private static String text(Object value) {
        return OneLine.printable(String.valueOf(value), 200);
    }

    /** The backoff's base: the interval, unless it is longer than the cap (then every failure waits the cap). */
    private static Duration shorter(Duration interval, Duration cap) {
        return interval.compareTo(cap) > 0 ? cap : interval;
    }

    private void sleepUntil(Instant until) throws InterruptedException {
        long millis = Duration.between(clock.instant(), until).toMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }

    private static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : String.format("%.1f s", millis / 1000.0);
    }
}
