package devana.jobs.traces;

import devana.jobs.text.OneLine;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * One trace per job change: its root span when the change is recorded ("job change": from a poll or a push), a client
 * span for each retry call it leads to ("retry POST", "retry look-up", however late a resend comes), and a producer span
 * when its event goes to the bus ("publish"), whose W3C {@code traceparent} travels with the event where the bus's
 * binding carries headers (CloudEventBindings). The change's context is kept as a traceparent where the change's work
 * waits (the outbox row, the retry claim), and read back from there.
 * <p>
 * Off by default: {@link #off()} makes spans that record nothing and no traceparent, at the cost of a few no-op calls.
 * The change's root span links to the span current when it was recorded (Camel's span of the poll cycle or of the
 * webhook request, when camel-opentelemetry2 traces those).
 */
public final class JobTraces {

    /** Exchange property: the traceparent of the job change the exchange handles (set by JobLedger.observe). */
    public static final String CHANGE = "jobTrace";
    /** The W3C header (and the bus header) of a trace context. */
    public static final String TRACEPARENT = "traceparent";

    static final AttributeKey<String> ACCOUNT = AttributeKey.stringKey("devana.account");
    static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("devana.job.id");
    static final AttributeKey<String> JOB_TYPE = AttributeKey.stringKey("devana.job.type");
    static final AttributeKey<String> JOB_STATUS = AttributeKey.stringKey("devana.job.status");
    static final AttributeKey<String> PREVIOUS_STATUS = AttributeKey.stringKey("devana.job.previous_status");
    static final AttributeKey<String> TARGET_ID = AttributeKey.stringKey("devana.job.target_id");
    static final AttributeKey<String> OBSERVED_BY = AttributeKey.stringKey("devana.observed_by");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("devana.retry.attempt");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> EVENT_ID = AttributeKey.stringKey("cloudevents.event_id");
    static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("cloudevents.event_type");
    static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> MESSAGING_OPERATION = AttributeKey.stringKey("messaging.operation.type");
    private static final int MAX_ATTRIBUTE = 256;
    /** Exchange property: the span of a call or a send this exchange makes now, ended by the step after it. */
    private static final String OPEN_SPAN = "jobTraceSpan";

    private static final TextMapGetter<Map<String, String>> FROM_MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final String bus;
    private final boolean on;

    /**
     * @param bus the scheme of jobs.events.uri (kafka, jms, spring-rabbitmq ...), the publish spans' messaging.system
     */
    public JobTraces(OpenTelemetry openTelemetry, String bus) {
        this(openTelemetry, bus, true);
    }

    private JobTraces(OpenTelemetry openTelemetry, String bus, boolean on) {
        this.tracer = openTelemetry.getTracer("devana-jobs");
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
        this.bus = bus;
        this.on = on;
    }

    /** Tracing off (the default): every span records nothing, no traceparent is kept or sent. */
    public static JobTraces off() {
        return new JobTraces(OpenTelemetry.noop(), "", false);
    }

    /** One job change's trace, begun when the change is being recorded. */
    public interface Change {
        /** Its context as a W3C traceparent, kept beside its event and its retry claim; null when tracing is off. */
        String traceparent();

        /** The change is recorded (its transaction committed). */
        void recorded();
    }

    /**
     * A job change is being recorded: a new trace begins, its root span carrying the job's id, type, status and account.
     *
     * @param observedBy "poll" or "webhook"
     */
    public Change change(String account, String jobId, String type, String status, String previousStatus, String targetId,
                         String observedBy) {
        if (!on) {
            return NO_CHANGE;
        }
        SpanBuilder builder = tracer.spanBuilder("job change").setNoParent().setSpanKind(SpanKind.INTERNAL)
                .setAttribute(ACCOUNT, account)
                .setAttribute(JOB_ID, text(jobId))
                .setAttribute(JOB_TYPE, text(type))
                .setAttribute(JOB_STATUS, text(status))
                .setAttribute(OBSERVED_BY, observedBy);
        if (previousStatus != null) {
            builder.setAttribute(PREVIOUS_STATUS, text(previousStatus));
        }
        if (targetId != null) {
            builder.setAttribute(TARGET_ID, text(targetId));
        }
        SpanContext seenIn = Span.current().getSpanContext();
        if (seenIn.isValid()) {
            builder.addLink(seenIn);
        }
        Span span = builder.startSpan();
        String traceparent = traceparent(span);
        return new Change() {
            @Override
            public String traceparent() {
                return traceparent;
            }

            @Override
            public void recorded() {
                span.end();
            }
        };
    }

    private static final Change NO_CHANGE = new Change() {
        @Override
        public String traceparent() {
            return null;
        }

        @Override
        public void recorded() {
        }
    };

    /**
     * A retry call of a job change leaves now ({@code name}: "retry POST" or "retry look-up"): a client span in the
     * change's trace, open on the exchange until {@link #callEnded}; the step that makes the request calls this.
     */
    public void callStarted(Exchange exchange, String name, String traceparent, String account, String jobId, String type,
                            Integer attempt) {
        if (!on) {
            return;
        }
        Span span = tracer.spanBuilder(name).setParent(parent(traceparent)).setSpanKind(SpanKind.CLIENT)
                .setAttribute(ACCOUNT, account)
                .setAttribute(JOB_ID, text(jobId))
                .setAttribute(JOB_TYPE, text(type))
                .setAttribute(JOB_STATUS, "ERROR")
                .startSpan();
        if (attempt != null) {
            span.setAttribute(ATTEMPT, attempt.longValue());
        }
        open(exchange, span);
    }

    /** The call of {@link #callStarted} ended: answered (its status), or not sent, or failed (the failure). */
    public void callEnded(Exchange exchange, Integer httpStatus, Throwable failure) {
        Span span = exchange.getProperty(OPEN_SPAN, Span.class);
        if (span == null) {
            return;
        }
        exchange.removeProperty(OPEN_SPAN);
        if (httpStatus != null) {
            span.setAttribute(HTTP_STATUS, httpStatus.longValue());
        }
        if (failure != null) {
            span.setStatus(StatusCode.ERROR, OneLine.of(failure));
        }
        span.end();
    }

    /**
     * An event of the outbox (the row in the body: traceparent, event_id, event_type, job_id ...) is about to go to the
     * bus: a producer span in its change's trace, and that span's context in the message's {@value #TRACEPARENT}
     * header, which the bus's binding sends with the event. An event written without a trace (tracing was off) is sent
     * without one.
     */
    public void publishing(Exchange exchange) {
        if (!on) {
            return;
        }
        Map<?, ?> row = exchange.getMessage().getBody(Map.class);
        Object traceparent = row == null ? null : row.get(TRACEPARENT);
        if (!(traceparent instanceof String stored)) {
            return;
        }
        Span span = tracer.spanBuilder("publish").setParent(parent(stored)).setSpanKind(SpanKind.PRODUCER)
                .setAttribute(ACCOUNT, String.valueOf(row.get("account")))
                .setAttribute(JOB_ID, text(String.valueOf(row.get("job_id"))))
                .setAttribute(JOB_TYPE, text(String.valueOf(row.get("job_type"))))
                .setAttribute(EVENT_ID, String.valueOf(row.get("event_id")))
                .setAttribute(EVENT_TYPE, String.valueOf(row.get("event_type")))
                .setAttribute(MESSAGING_SYSTEM, bus)
                .setAttribute(MESSAGING_OPERATION, "send")
                .startSpan();
        open(exchange, span);
        Map<String, String> carrier = new HashMap<>();
        propagator.inject(Context.root().with(span), carrier, Map::put);
        carrier.forEach(exchange.getMessage()::setHeader);
    }

    /** The bus took the event of {@link #publishing}. */
    public void published(Exchange exchange) {
        callEnded(exchange, null, null);
    }

    /**
     * A span open on the exchange; if the step that ends it never comes (the send failed, the error handler took the
     * exchange), it ends with the exchange, with the failure. Ending an ended span changes nothing.
     */
    private void open(Exchange exchange, Span span) {
        exchange.setProperty(OPEN_SPAN, span);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                Throwable failure = done.getException() != null ? done.getException()
                        : done.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
                if (failure != null) {
                    span.setStatus(StatusCode.ERROR, OneLine.of(failure));
                }
                span.end();
            }
        });
    }

    private Context parent(String traceparent) {
        if (traceparent == null) {
            return Context.root();
        }
        return propagator.extract(Context.root(), Collections.singletonMap(TRACEPARENT, traceparent), FROM_MAP);
    }

    private String traceparent(Span span) {
        Map<String, String> carrier = new HashMap<>();
        propagator.inject(Context.root().with(span), carrier, Map::put);
        return carrier.get(TRACEPARENT);
    }

    private static String text(String value) {
        return value == null ? "" : OneLine.printable(value, MAX_ATTRIBUTE);
    }
}
