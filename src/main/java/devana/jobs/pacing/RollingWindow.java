package devana.jobs.pacing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The one rolling window of the project: the instants of what happened in the last {@code length}
 * (the Devana API counts its 100 requests per key in any rolling minute). Not thread-safe: its owner
 * guards it.
 */
public final class RollingWindow {

    private final Duration length;
    private final Deque<Instant> instants = new ArrayDeque<>();

    public RollingWindow(Duration length) {
        this.length = length;
    }

    public static RollingWindow ofOneMinute() {
        return new RollingWindow(Duration.ofMinutes(1));
    }

    /** How many happened in the window that ends now. */
    public int count(Instant now) {
        expire(now);
        return instants.size();
    }

    /** Counts one at {@code now}. */
    public void add(Instant now) {
        expire(now);
        instants.addLast(now);
    }

    /** Counts one at {@code now} if fewer than {@code limit} happened in the window; false (nothing counted) if not. */
    public boolean tryAdd(Instant now, int limit) {
        if (count(now) >= limit) {
            return false;
        }
        instants.addLast(now);
        return true;
    }

    /** How long until the oldest one leaves the window (zero when the window is empty). */
    public Duration untilOneLeaves(Instant now) {
        expire(now);
        if (instants.isEmpty()) {
            return Duration.ZERO;
        }
        Duration left = Duration.between(now, instants.peekFirst().plus(length));
        return left.isNegative() ? Duration.ZERO : left;
    }

    private void expire(Instant now) {
        Instant start = now.minus(length);
        while (!instants.isEmpty() && !instants.peekFirst().isAfter(start)) {
            instants.pollFirst();
        }
    }
}
