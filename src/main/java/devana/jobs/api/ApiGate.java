package devana.jobs.api;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every caller of the Devana API quiet while a 429's Retry-After runs. The HTTP client's own
 * Retry-After handling is off (camel.component.http.automatic-retries-disabled), so a long value is
 * honoured here, visibly, instead of hanging a route inside the client.
 */
public class ApiGate {

    private static final Logger LOG = LoggerFactory.getLogger(ApiGate.class);
    private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(60);

    private final Clock clock;
    private final MeterRegistry metrics;
    private volatile Instant pausedUntil = Instant.MIN;

    public ApiGate(Clock clock, MeterRegistry metrics) {
        this.clock = clock;
        this.metrics = metrics;
    }

    public boolean isPaused() {
        return clock.instant().isBefore(pausedUntil);
    }

    public Instant pausedUntil() {
        return pausedUntil;
    }

    /** Counts a failed API call by status (or kind) and, on a 429, pauses every caller for its Retry-After. */
    public void onFailure(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (cause instanceof HttpOperationFailedException http) {
            metrics.counter("devana.api.failures", "status", String.valueOf(http.getStatusCode())).increment();
            if (http.getStatusCode() == 429) {
                Duration wait = retryAfter(http.getResponseHeaders());
                pausedUntil = clock.instant().plus(wait);
                LOG.warn("Devana API rate limit hit (HTTP 429): every call paused for {} s (Retry-After), until {}",
                        wait.toSeconds(), pausedUntil);
            }
        } else {
            metrics.counter("devana.api.failures", "status", cause == null ? "unknown" : cause.getClass().getSimpleName())
                    .increment();
        }
    }

    Duration retryAfter(Map<String, String> headers) {
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
        try {
            return Duration.ofSeconds(Math.max(1, Long.parseLong(value.trim())));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration wait = Duration.between(clock.instant(), at);
                return wait.isNegative() ? Duration.ofSeconds(1) : wait;
            } catch (DateTimeParseException notDate) {
                return DEFAULT_RETRY_AFTER;
            }
        }
    }
}
