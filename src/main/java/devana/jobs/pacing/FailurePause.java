package devana.jobs.pacing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A pause that each failure in a row lengthens by an {@link ExponentialBackoff}: what every caller of a
 * service that is down (the Devana API, the bus) waits on. A success starts the count of failures again;
 * a pause already begun runs its course. A caller may also ask for a pause of its own (a 429's Retry-After).
 */
public final class FailurePause {

    private final Clock clock;
    private final ExponentialBackoff backoff;
    private int failures;
    private Instant until = Instant.MIN;

    public FailurePause(Clock clock, ExponentialBackoff backoff) {
        this.clock = clock;
        this.backoff = backoff;
    }

    public synchronized boolean isPaused() {
        return clock.instant().isBefore(until);
    }

    /** Until when every caller waits (Instant.MIN if it never paused). */
    public synchronized Instant until() {
        return until;
    }

    /** One more failure in a row: the pause is its backoff from now (if that is later); returns that wait in ms. */
    public synchronized long failed() {
        failures++;
        Duration wait = backoff.after(failures);
        extendTo(clock.instant().plus(wait));
        return wait.toMillis();
    }

    /** Pauses at least for {@code wait} from now, whatever the failures in a row (a Retry-After). */
    public synchronized Instant atLeast(Duration wait) {
        extendTo(clock.instant().plus(wait));
        return until;
    }

    /** Failures in a row since the last success. */
    public synchronized int failures() {
        return failures;
    }

    /** A success: the next failure waits the shortest backoff again. */
    public synchronized void succeeded() {
        failures = 0;
    }

    private void extendTo(Instant end) {
        if (end.isAfter(until)) {
            until = end;
        }
    }
}
