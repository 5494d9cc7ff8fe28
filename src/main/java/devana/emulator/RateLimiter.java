package devana.emulator;

import devana.jobs.pacing.RollingWindow;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** At most {@code limit} requests per key in any rolling minute; a limit of 0 lets everything through. */
final class RateLimiter {

    private final int limit;
    private final Map<String, RollingWindow> windows = new HashMap<>();

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
        RollingWindow window = windows.computeIfAbsent(key, k -> RollingWindow.ofOneMinute());
        if (window.tryAdd(now, limit)) {
            return 0;
        }
        long millis = window.untilOneLeaves(now).toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }
}
