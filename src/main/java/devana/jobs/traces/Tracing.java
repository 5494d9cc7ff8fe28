package devana.jobs.traces;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The OpenTelemetry of a run with traces on (camel.opentelemetry2.enabled): an OpenTelemetry bean of the registry if
 * there is one, else the SDK that the standard OTEL_* variables configure (OpenTelemetry's autoconfiguration: exporter,
 * endpoint, protocol, sampler, resource ...), exporting traces by OTLP unless they say otherwise. The same one serves
 * Camel's tracer (its route and endpoint spans) and the job changes' traces ({@link JobTraces}).
 * <p>
 * A Camel Main listener: Camel Main makes its tracer before the app's configuration runs, and the tracer takes its
 * OpenTelemetry Tracer from the registry, or else from OpenTelemetry's global one (none here). So this puts it there
 * first, with the exclude patterns the tracer is made with.
 */
public final class Tracing extends MainListenerSupport {

    /** The registry name of the OpenTelemetry of the run (given to the app, by a test say, or made here). */
    public static final String BEAN = "openTelemetry";
    static final String ENABLED = "camel.opentelemetry2.enabled";
    static final String EXCLUDE = "camel.opentelemetry2.exclude-patterns";

    /**
     * What the app sets when the variables do not: its service name, and no metrics or logs by OTLP (metrics are
     * Prometheus', at /observe/metrics; logs are the log's). An OTEL_* variable set overrides each.
     */
    static final Map<String, String> DEFAULTS = Map.of(
            "otel.service.name", "devana-jobs",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none");

    @Override
    public void beforeConfigure(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        PropertiesComponent properties = context.getPropertiesComponent();
        if (!Boolean.parseBoolean(properties.resolveProperty(ENABLED).orElse("false").trim())) {
            return;
        }
        Registry registry = context.getRegistry();
        OpenTelemetry openTelemetry = registry.lookupByNameAndType(BEAN, OpenTelemetry.class);
        if (openTelemetry == null) {
            OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> DEFAULTS)
                    .disableShutdownHook()
                    .build()
                    .getOpenTelemetrySdk();
            openTelemetry = sdk;
            registry.bind(BEAN, sdk);
            // closed (its last spans exported) when Camel stops
            try {
                context.addService(new ServiceSupport() {
                    @Override
                    protected void doStop() {
                        sdk.close();
                    }
                }, true, true);
            } catch (Exception e) {
                throw new IllegalStateException("cannot register the OpenTelemetry SDK's shutdown", e);
            }
        }
        registry.bind("openTelemetryTracer", openTelemetry.getTracer("camel"));
        registry.bind("openTelemetryPropagators", openTelemetry.getPropagators());
        String eventsUri = properties.resolveProperty("jobs.events.uri").orElse("");
        properties.addOverrideProperty(EXCLUDE, excludePatterns(properties.resolveProperty(EXCLUDE).orElse(null), eventsUri));
    }

    /** The OpenTelemetry of a run with traces on (bound by {@link #beforeConfigure}). */
    public static OpenTelemetry openTelemetry(Registry registry) {
        OpenTelemetry openTelemetry = registry.lookupByNameAndType(BEAN, OpenTelemetry.class);
        if (openTelemetry == null) {
            throw new IllegalStateException("traces are on but no OpenTelemetry is bound: the app's Main runs Tracing first");
        }
        return openTelemetry;
    }

    /**
     * Camel's exclude patterns, with the bus endpoint added: an event's send is traced in its job change's trace
     * ({@link JobTraces#publishing}), whose traceparent the event carries; a span of Camel's own there would put the
     * publisher's look in its place.
     *
     * @param configured camel.opentelemetry2.exclude-patterns as set, or null
     */
    public static String excludePatterns(String configured, String eventsUri) {
        String bus = busPattern(eventsUri);
        return configured == null || configured.isBlank() ? bus : configured + "," + bus;
    }

    /** The bus endpoint as a Camel endpoint pattern: its fixed part (before any option or expression), then a wildcard. */
    static String busPattern(String eventsUri) {
        int end = eventsUri.length();
        for (char c : new char[] {'?', '$', '{'}) {
            int at = eventsUri.indexOf(c);
            if (at >= 0 && at < end) {
                end = at;
            }
        }
        return eventsUri.substring(0, end) + "*";
    }

    /** The scheme of jobs.events.uri (kafka, jms ...): a publish span's messaging.system. */
    public static String scheme(String eventsUri) {
        int colon = eventsUri.indexOf(':');
        return colon < 0 ? eventsUri : eventsUri.substring(0, colon);
    }
}
