package devana.jobs.health;

import java.time.Clock;
import java.time.Instant;

/** When the poll route last finished a whole cycle: what the API readiness check judges by. */
public class PollWatch {

    private final Clock clock;
    private volatile Instant lastSuccess;

    public PollWatch(Clock clock) {
        this.clock = clock;
    }

    /** Called by the poll route at the end of a cycle that read every page. */
    public void succeeded() {
        lastSuccess = clock.instant();
    }

    /** The end of the last complete poll cycle, or null before the first. */
    public Instant lastSuccess() {
        return lastSuccess;
    }
}
