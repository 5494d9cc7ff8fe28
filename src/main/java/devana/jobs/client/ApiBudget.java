package devana.jobs.client;

import devana.jobs.contract.MetricTags;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one API budget every caller of the Devana API goes through.
 * <ul>
 * <li>At most {@code perMinute} requests in any rolling minute, of which a share is kept for retry
 * POSTs: polls may use {@code perMinute - retryReserve}, retries {@code retryReserve}, so a failure
 * storm cannot starve polling and polling cannot starve retries.</li>
 * <li>A 429 pauses every caller until its Retry-After has passed. The HTTP client's own Retry-After
 * handling is off (camel.component.http.automatic-retries-disabled), so a long value is honoured
 * here, visibly, instead of hanging a route inside the client.</li>
 * <li>5xx, 401/403, timeouts and connection errors pause every caller with exponential backoff and
 * jitter (base, 2 x base, 4 x base ... capped); the first success ends it.</li>
 * </ul>
 */
public class ApiBudget {

    /** Who is asking: the two shares of the budget. */
    public enum Caller { POLL, RETRY }

    private static final Logger LOG = LoggerFactory.getLogger(ApiBudget.class);
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(60);
    /** The longest Retry-After honoured: a larger value (a broken or hostile answer) would stop every call for good. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(15);

    private final Clock clock;
    private final MeterRegistry metrics;
    private final int pollLimit;
    private final int retryLimit;
    private final Duration backoffBase;
    private final Duration backoffMax;
    private final Deque<Instant> polls = new ArrayDeque<>();
    private final Deque<Instant> retries = new ArrayDeque<>();
    private int consecutiveFailures;
    private volatile Instant pausedUntil = Instant.MIN;

    public ApiBudget(Clock clock, MeterRegistry metrics, int perMinute, double retryShare,
                   Duration backoffBase, Duration backoffMax) {
        this.clock = clock;
        this.metrics = metrics;
        this.retryLimit = Math.max(1, (int) Math.round(perMinute * retryShare));
        this.pollLimit = Math.max(1, perMinute - retryLimit);
        this.backoffBase = backoffBase;
        this.backoffMax = backoffMax;
        Gauge.builder("devana.api.budget.left", this, gate -> gate.left(Caller.POLL)).tag("caller", "poll").register(metrics);
        Gauge.builder("devana.api.budget.left", this, gate -> gate.left(Caller.RETRY)).tag("caller", "retry").register(metrics);
    }

    public boolean isPaused() {
        return clock.instant().isBefore(pausedUntil);
    }

    public Instant pausedUntil() {
        return pausedUntil;
    }

    /** Takes one request from the caller's share; false when paused or the share is spent for this minute. */
    public synchronized boolean tryAcquire(Caller caller) {
        Instant now = clock.instant();
        if (now.isBefore(pausedUntil)) {
            return false;
        }
        Deque<Instant> window = caller == Caller.POLL ? polls : retries;
        expire(window, now);
        if (window.size() >= (caller == Caller.POLL ? pollLimit : retryLimit)) {
            metrics.counter("devana.api.budget.denied", "caller", caller.name().toLowerCase()).increment();
            return false;
        }
        window.addLast(now);
        metrics.counter("devana.api.requests", "caller", caller.name().toLowerCase()).increment();
        return true;
    }

    public boolean tryAcquirePoll() {
        return tryAcquire(Caller.POLL);
    }

    public boolean tryAcquireRetry() {
        return tryAcquire(Caller.RETRY);
    }

    /** Requests still allowed to the caller in the current rolling minute. */
    public synchronized int left(Caller caller) {
        Deque<Instant> window = caller == Caller.POLL ? polls : retries;
        expire(window, clock.instant());
        return (caller == Caller.POLL ? pollLimit : retryLimit) - window.size();
    }

    /** A call answered with 2xx: any backoff ends. */
    public synchronized void onSuccess() {
        consecutiveFailures = 0;
    }

    /**
     * Counts a failed API call by status (or kind), and pauses every caller: for a 429 its
     * Retry-After, for anything else exponential backoff with jitter.
     */
    public synchronized void onFailure(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (cause == null) {
            cause = exchange.getException();
        }
        Instant now = clock.instant();
        if (cause instanceof HttpOperationFailedException http) {
            metrics.counter("devana.api.failures", "status", MetricTags.httpStatus(http.getStatusCode())).increment();
            if (http.getStatusCode() == 429) {
                Duration wait = retryAfter(http.getResponseHeaders());
                pausedUntil = later(pausedUntil, now.plus(wait));
                LOG.warn("Devana API rate limit hit (HTTP 429): every call paused for {} s (Retry-After), until {}",
                        wait.toSeconds(), pausedUntil);
                return;
            }
            if (http.getStatusCode() < 500 && http.getStatusCode() != 401 && http.getStatusCode() != 403) {
                return;
            }
        } else {
            metrics.counter("devana.api.failures", "status", cause == null ? "unknown" : cause.getClass().getSimpleName())
                    .increment();
        }
        consecutiveFailures++;
        pausedUntil = later(pausedUntil, now.plus(backoff(consecutiveFailures)));
    }

    /** Exponential backoff with jitter: a random wait in [d/2, d] where d = base x 2^(n-1), capped. */
    Duration backoff(int failures) {
        long cap = backoffMax.toMillis();
        long full = Math.min(cap, backoffBase.toMillis() << Math.min(failures - 1, 20));
        return Duration.ofMillis(full / 2 + ThreadLocalRandom.current().nextLong(full / 2 + 1));
    }

    Duration retryAfter(Map<String, String> headers) {
        Duration asked = askedRetryAfter(headers);
        return asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
    }

    private Duration askedRetryAfter(Map<String, String> headers) {
        String value = null;
        if (headers != null) {
            for (Map.Entry<String, String> header : headers.entrySet()) {
                if ("Retry-After".equalsIgnoreCase(header.getKey())) {
                    value = header.getValue();
                }
            }
        }
        if (value == null || value.isBlank()) {
            return DEFAULT_RETRY_AFTER;
        }
        String text = value.trim();
        if (text.matches("\\d+")) {
            return text.length() > 9 ? MAX_RETRY_AFTER : Duration.ofSeconds(Math.max(1, Long.parseLong(text)));
        }
        try {
            Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(clock.instant(), at);
            return wait.isNegative() ? Duration.ofSeconds(1) : wait;
        } catch (DateTimeParseException | ArithmeticException notDate) {
            return DEFAULT_RETRY_AFTER;
        }
    }

    private static void expire(Deque<Instant> window, Instant now) {
        Instant start = now.minus(WINDOW);
        while (!window.isEmpty() && !window.peekFirst().isAfter(start)) {
            window.pollFirst();
        }
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
