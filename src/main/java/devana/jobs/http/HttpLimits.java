package devana.jobs.http;

import java.time.Duration;

/**
 * What the HTTP server gives a stranger at most, so that nobody from outside can exhaust the process:
 *
 * @param requestTimeout   time for a request to arrive whole and be answered; after it the connection goes
 * @param idleTimeout      time a connection may stay open with nothing sent either way
 * @param maxConnections   connections open at once; the next one is closed at once
 * @param webhookInFlight  webhook requests being read or handled at once; more are answered 503
 * @param viewsInFlight    dashboard and /api/* requests handled at once; a few more wait their turn, then 503
 */
public record HttpLimits(Duration requestTimeout, Duration idleTimeout, int maxConnections,
                         int webhookInFlight, int viewsInFlight) {

    /** The largest request body taken: the webhook's 64 KiB (product decision); no other route takes one. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
}
