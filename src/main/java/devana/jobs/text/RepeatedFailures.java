package devana.jobs.text;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A failure that comes back every cycle (an API that stays down, a job that can never be read) is said once
 * at once, then at most once a minute with how many like it were kept quiet meanwhile: the log stays
 * readable and its volume bounded, whatever the API or a sender does.
 */
public final class RepeatedFailures {

    public static final Duration EVERY = Duration.ofMinutes(1);
    /** The kinds are the callers' own words (a route and a failure kind, a refusal), so they are few; still bounded. */
    private static final int KINDS = 1_000;

    private final Clock clock;
    private final Map<String, Window> windows = new HashMap<>();

    public RepeatedFailures(Clock clock) {
        this.clock = clock;
    }

    /**
     * Null when this occurrence of the failure {@code kind} is kept quiet; otherwise what its line ends with:
     * empty the first time, else how many more like it there were since it was last said.
     */
    public synchronized String say(String kind) {
        Instant now = clock.instant();
        Window window = windows.get(kind);
        if (window == null || !now.isBefore(window.saidAt.plus(EVERY))) {
            int quiet = window == null ? 0 : window.quiet;
            if (window == null && windows.size() >= KINDS) {
                windows.clear();
            }
            windows.put(kind, new Window(now));
            return quiet == 0 ? "" : " (" + quiet + " more like it in the last " + minutes(window.saidAt, now) + ")";
        }
        window.quiet++;
        return null;
    }

    private static String minutes(Instant since, Instant now) {
        long minutes = Math.max(1, Duration.between(since, now).toMinutes());
        return minutes == 1 ? "minute" : minutes + " minutes";
    }

    private static final class Window {
        final Instant saidAt;
        int quiet;

        Window(Instant saidAt) {
            this.saidAt = saidAt;
        }
    }
}
