package devana.emulator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/** At most {@code limit} requests per key in any rolling minute; a limit of 0 lets everything through. */
final class RateLimiter {

    private static final Duration WINDOW = Duration.ofMinutes(1);

    private final int limit;
    private final Map<String, Deque<Instant>> windows = new HashMap<>();

    RateLimiter(int limit) {
        this.limit = limit;
    }

    int limit() {
        return limit;
    }

    /** 0 when the request may go ahead (it is then counted), else whole seconds until a slot frees, at least 1. */
    synchronized long acquire(String key, Instant now) {
        if (limit == 0) {
            return 0;
        }
        Deque<Instant> window = windows.computeIfAbsent(key, k -> new ArrayDeque<>());
        Instant windowStart = now.minus(WINDOW);
        while (!window.isEmpty() && !window.peekFirst().isAfter(windowStart)) {
            window.pollFirst();
        }
        if (window.size() < limit) {
            window.addLast(now);
            return 0;
        }
        long millis = Duration.between(now, window.peekFirst().plus(WINDOW)).toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }
}
