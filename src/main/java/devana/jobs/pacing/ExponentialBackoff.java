package devana.jobs.pacing;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one exponential backoff of the project: after n failures in a row, {@code base x 2^(n-1)}, capped
 * at {@code cap}; with jitter, a random wait in [d/2, d] of that, so that callers failing together do
 * not all come back at the same instant.
 */
public record ExponentialBackoff(Duration base, Duration cap, boolean jitter) {

    public ExponentialBackoff {
        if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("a backoff needs 0 < base <= cap, not " + base + " and " + cap);
        }
    }

    public static ExponentialBackoff withJitter(Duration base, Duration cap) {
        return new ExponentialBackoff(base, cap, true);
    }

    public static ExponentialBackoff exact(Duration base, Duration cap) {
        return new ExponentialBackoff(base, cap, false);
    }

    /** How long to wait after {@code failures} failures in a row (1 or more). */
    public Duration after(int failures) {
        int doublings = Math.min(Math.max(failures, 1) - 1, 30);
        long capMillis = cap.toMillis();
        long full = base.toMillis() > capMillis >> doublings ? capMillis : base.toMillis() << doublings;
        if (!jitter) {
            return Duration.ofMillis(full);
        }
        return Duration.ofMillis(full / 2 + ThreadLocalRandom.current().nextLong(full / 2 + 1));
    }
}
