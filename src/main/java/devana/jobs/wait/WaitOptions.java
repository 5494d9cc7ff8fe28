package devana.jobs.wait;

import devana.jobs.contract.DevanaId;
import devana.jobs.text.OneLine;
import devana.jobs.config.DurationText;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code wait --target <id> [--type EXTRACTION] [--timeout 300s] [--interval 2s]}, checked. */
public record WaitOptions(String target, String type, Duration timeout, Duration interval, boolean help) {

    public static final Duration MIN_INTERVAL = Duration.ofSeconds(2);
    public static final String USAGE = String.join("\n",
            "usage: java -jar devana-jobs.jar wait --target <id> [--type EXTRACTION] [--timeout 300s] [--interval 2s]",
            "  waits for the newest job of a target (a document, a folder ...) to finish, like the vendor page's",
            "  check_job_status and wait_for_job; talks to DEVANA_BASE_URL with DEVANA_API_KEY.",
            "  --type      the JOB type to wait for (EXTRACTION, EMBEDDING, SYNC, IMPORT, TRANSCRIPTION, GENERATION),",
            "              matched on our side: the API's own 'type' parameter filters by STATUS",
            "  --timeout   give up after this long: 90s, 5m, 1h or plain seconds (default 300s)",
            "  --interval  time between two polls, at least 2s (the API's rule; default 2s)",
            "exit codes: 0 DONE, 1 ERROR (the job's error is printed), 2 timed out, 3 usage or authentication error");

    private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
    private static final Set<String> STATUSES = Set.of("PENDING", "IN_PROGRESS", "DONE", "ERROR", "KILLED");

    public static WaitOptions parse(String[] args) {
        String target = null;
        String type = null;
        Duration timeout = Duration.ofSeconds(300);
        Duration interval = MIN_INTERVAL;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--target" -> target = value(args, ++i, arg);
                case "--type" -> type = value(args, ++i, arg);
                case "--timeout" -> timeout = duration(value(args, ++i, arg), arg);
                case "--interval" -> interval = duration(value(args, ++i, arg), arg);
                case "--help", "-h" -> {
                    return new WaitOptions(null, null, timeout, interval, true);
                }
                default -> throw new UsageException("unknown option " + OneLine.printable(arg, 80));
            }
        }
        if (target == null) {
            throw new UsageException("--target <id> is required");
        }
        if (!DevanaId.isValid(target)) {
            throw new UsageException("--target must be a Devana id (letters, digits, _ and -, at most 128), got '"
                    + OneLine.printable(target, 140) + "'");
        }
        if (type != null && STATUSES.contains(type)) {
            throw new UsageException("--type " + type + " is a status: --type names the job type to wait for "
                    + "(EXTRACTION, EMBEDDING, ...); the command waits until that job is DONE or ERROR");
        }
        if (type != null && !TYPE.matcher(type).matches()) {
            throw new UsageException("--type must be a job type such as EXTRACTION or EMBEDDING, got '"
                    + OneLine.printable(type, 80) + "'");
        }
        if (timeout.isZero()) {
            throw new UsageException("--timeout must be more than 0");
        }
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw new UsageException("--interval must be at least 2s: the Devana API asks clients not to poll more often");
        }
        return new WaitOptions(target, type, timeout, interval, false);
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length || args[index].startsWith("--")) {
            throw new UsageException(option + " needs a value");
        }
        return args[index];
    }

    static Duration duration(String text, String option) {
        try {
            return DurationText.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + " must be a duration such as 90s, 5m, 1h or 500ms, got '" + text + "'");
        }
    }

    /** A command line the wait command cannot run: exit code 3. */
    public static class UsageException extends IllegalArgumentException {
        public UsageException(String message) {
            super(message);
        }
    }
}
