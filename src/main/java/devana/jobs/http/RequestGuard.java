package devana.jobs.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.text.RepeatedFailures;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every request the HTTP server takes, before Camel sees it; it runs on the event loop
 * and never blocks. What a stranger can make the process hold is bounded here ({@link HttpLimits}):
 * <ul>
 * <li>a request whose Content-Length is over the limit is answered 413 at once and its connection closed,
 * before a byte of the body is read;</li>
 * <li>a request not answered within the request timeout (a slow upload, a stalled client) loses its
 * connection;</li>
 * <li>the webhook's body is read here, into at most the limit (then 413), raw whatever its content type, and
 * handed to the route with the signature headers of the HTTP request ({@link RawRequests});</li>
 * <li>webhook requests are bounded in number at once, more are answered 503 with Retry-After (a sender
 * tries again); dashboard and /api/* requests too, with a short queue before that (a browser asks five at
 * once). /observe/* is never bounded: probes must answer.</li>
 * </ul>
 * Every refusal is counted; its log line is said once a minute with a count.
 */
public final class RequestGuard implements Handler<RoutingContext> {

    public static final String WEBHOOK_PATHS = "/webhook/";

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.http");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a refused request's body is still read (and dropped) before its connection is closed. */
    private static final java.time.Duration LINGER = java.time.Duration.ofSeconds(2);
    /** Dashboard and /api/* requests that wait for a slot (a browser asks five at once); more are answered 503. */
    static final int VIEWS_WAITING = 64;

    private final Vertx vertx;
    private final HttpLimits limits;
    private final RawRequests raw;
    private final MeterRegistry metrics;
    private final RepeatedFailures repeats;
    private final Admission webhooks;
    private final Admission views;

    RequestGuard(Vertx vertx, HttpLimits limits, RawRequests raw, MeterRegistry metrics, RepeatedFailures repeats) {
        this.vertx = vertx;
        this.limits = limits;
        this.raw = raw;
        this.metrics = metrics;
        this.repeats = repeats;
        this.webhooks = new Admission(limits.webhookInFlight(), 0);
        this.views = new Admission(limits.viewsInFlight(), VIEWS_WAITING);
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        boolean webhook = request.path().startsWith(WEBHOOK_PATHS);
        long timer = vertx.setTimer(limits.requestTimeout().toMillis(), id -> {
            if (!ctx.response().ended()) {
                refused(webhook, "timeout", "request not answered within " + limits.requestTimeout().toMillis() + " ms: connection closed");
                request.connection().close();
            }
        });
        ctx.addEndHandler(done -> vertx.cancelTimer(timer));
        long declared = declaredLength(request);
        if (declared > HttpLimits.MAX_BODY_BYTES) {
            refuse(ctx, webhook, 413, "too_large", "the body has " + declared + " bytes; at most " + HttpLimits.MAX_BODY_BYTES
                    + " are accepted");
            return;
        }
        if (webhook && request.method() == HttpMethod.POST) {
            if (!webhooks.admit(ctx, () -> readBody(ctx))) {
                refuse(ctx, true, 503, "busy", "too many webhook requests at once; send it again in a moment");
            }
            return;
        }
        if (isView(request.path())) {
            if (!views.admit(ctx, ctx::next)) {
                refuse(ctx, false, 503, "busy", "too many requests at once; try again in a moment");
            }
            return;
        }
        ctx.next();
    }

    /** Reads the webhook body into at most the limit, then hands it to the route (or answers 413). */
    private void readBody(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        Buffer body = Buffer.buffer();
        AtomicBoolean over = new AtomicBoolean();
        request.handler(chunk -> {
            if (over.get()) {
                return;
            }
            if (body.length() + chunk.length() > HttpLimits.MAX_BODY_BYTES) {
                over.set(true);
                refuse(ctx, true, 413, "too_large", "the body has more than " + HttpLimits.MAX_BODY_BYTES
                        + " bytes; at most " + HttpLimits.MAX_BODY_BYTES + " are accepted");
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(failure -> over.set(true));
        request.endHandler(end -> {
            if (over.get() || ctx.response().ended()) {
                return;
            }
            raw.put(request, new RawRequests.RawRequest(body.getBytes(), signatureHeaders(request)));
            ctx.addEndHandler(done -> raw.forget(request));
            ctx.next();
        });
        if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            ctx.response().writeContinue();
        }
        request.resume();
    }

    private static Map<String, String> signatureHeaders(HttpServerRequest request) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : RawRequests.SIGNATURE_HEADERS) {
            List<String> values = request.headers().getAll(name);
            if (values.size() == 1) {
                headers.put(name, values.get(0));
            }
        }
        return headers;
    }

    private static boolean isView(String path) {
        return "/".equals(path) || path.startsWith("/api/") || path.startsWith("/dashboard/");
    }

    /** -1 when the request declares no length; Long.MAX_VALUE when it declares one that is not a number. */
    private static long declaredLength(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return -1;
        }
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Answers at once and closes the connection after the answer: the rest of the body is never read. */
    private void refuse(RoutingContext ctx, boolean webhook, int status, String outcome, String reason) {
        refused(webhook, outcome, reason);
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put(webhook ? "accepted" : "success", false);
        answer.put("error", reason);
        String json;
        try {
            json = JSON.writeValueAsString(answer);
        } catch (JsonProcessingException e) {
            json = "{}";
        }
        ctx.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close");
        if (status == 503) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
        }
        HttpServerRequest request = ctx.request();
        ctx.response().end(json).onComplete(sent -> lingerThenClose(request));
    }

    /**
     * Closes the connection once the client stopped sending, or after {@link #LINGER} at the latest: what
     * it still sends is read and dropped, never kept, so that it reads the answer instead of a reset.
     */
    private void lingerThenClose(HttpServerRequest request) {
        if (request.isEnded()) {
            request.connection().close();
            return;
        }
        long timer = vertx.setTimer(LINGER.toMillis(), id -> request.connection().close());
        request.handler(dropped -> { });
        request.endHandler(end -> {
            vertx.cancelTimer(timer);
            request.connection().close();
        });
        request.exceptionHandler(failure -> vertx.cancelTimer(timer));
        request.resume();
    }

    private void refused(boolean webhook, String outcome, String reason) {
        if (webhook) {
            // refused before the account's route could say whose the push is: the path is not trusted to name it
            metrics.counter("devana.webhooks", "account", "none", "outcome", outcome).increment();
        } else {
            metrics.counter("devana.http.refused", "reason", outcome).increment();
        }
        String repeat = repeats.say("http-refused|" + webhook + "|" + outcome);
        if (repeat != null) {
            LOG.warn("{} refused ({}): {}{}", webhook ? "webhook push" : "request", outcome.toLowerCase(Locale.ROOT),
                    reason, repeat);
        }
    }
}
