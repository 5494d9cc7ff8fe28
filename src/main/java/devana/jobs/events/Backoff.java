package devana.jobs.events;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter for the publisher while the bus is down: 1 s, 2 s, 4 s ... capped. */
public class Backoff {

    private final Clock clock;
    private final Duration cap;
    private int failures;
    private Instant waitUntil = Instant.MIN;

    public Backoff(Clock clock, Duration cap) {
        this.clock = clock;
        this.cap = cap;
    }

    public synchronized boolean isWaiting() {
        return clock.instant().isBefore(waitUntil);
    }

    public synchronized long failed() {
        failures++;
        long base = Math.min(cap.toMillis(), 1000L << Math.min(failures - 1, 20));
        long wait = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        waitUntil = clock.instant().plusMillis(wait);
        return wait;
    }

    /** Failures since the last success: 0 when the bus took the last batch. */
    public synchronized int failures() {
        return failures;
    }

    public synchronized void succeeded() {
        failures = 0;
        waitUntil = Instant.MIN;
    }
}
