package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.emulator.RetryOutcome;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Traces on (camel.opentelemetry2.enabled), the spans kept by the OpenTelemetry SDK's in-memory exporter: one trace per
 * job change, from the poll or the push that saw it through its retry POST to its event's send, whose traceparent goes
 * to the bus with the event; Camel's own spans beside them; nothing of it when traces are off.
 */
class TracesTest extends AppOnEmulatorTest {

    private static final Duration CYCLES = Duration.ofSeconds(20);
    private static final String SECRET = "a-webhook-secret-of-32-characters!";
    private static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("devana.job.id");

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private OpenTelemetrySdk sdk;

    @BeforeEach
    void anSdkKeepingItsSpans() {
        sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
    }

    @AfterEach
    void closeTheSdk() {
        sdk.close();
    }

    private RunningApp startTraced(Map<String, String> more) {
        Map<String, String> settings = settings();
        settings.put("camel.opentelemetry2.enabled", "true");
        settings.putAll(more);
        app = RunningApp.start(settings, Map.of("openTelemetry", sdk));
        return app;
    }

    @Test
    void a_failed_extraction_is_one_trace_from_its_poll_through_its_retry_post_to_the_bus() throws Exception {
        emulator.setRetryOutcome((target, type) -> RetryOutcome.STAY_PENDING);
        String failed = emulator.job().type("EXTRACTION").target("cm4docTraced01").status("ERROR").error("OCR failed").add();
        startTraced(Map.of());
        await().atMost(CYCLES).until(() -> eventTypesOf(failed).containsAll(List.of("ai.devana.job.error", "ai.devana.job.retry.requested"))
                && named("publish", failed).size() == 2);

        SpanData change = single(named("job change", failed));
        String trace = change.getTraceId();
        assertThat(change.getParentSpanContext().isValid()).as("a trace of its own").isFalse();
        assertThat(change.getAttributes().asMap()).containsEntry(JOB_ID, failed)
                .containsEntry(AttributeKey.stringKey("devana.job.type"), "EXTRACTION")
                .containsEntry(AttributeKey.stringKey("devana.job.status"), "ERROR")
                .containsEntry(AttributeKey.stringKey("devana.account"), "default")
                .containsEntry(AttributeKey.stringKey("devana.observed_by"), "poll");
        // the retry POST: a client span of the change's trace, with the API's answer
        SpanData post = single(named("retry POST", failed));
        assertThat(post.getTraceId()).isEqualTo(trace);
        assertThat(post.getParentSpanId()).isEqualTo(change.getSpanId());
        assertThat(post.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(post.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isBetween(200L, 299L);
        // both events (the failure and the retry's decision) sent in the same trace, each carrying it to the bus
        assertThat(named("publish", failed)).allSatisfy(publish -> {
            assertThat(publish.getTraceId()).isEqualTo(trace);
            assertThat(publish.getKind()).isEqualTo(SpanKind.PRODUCER);
        }).extracting(s -> s.getAttributes().get(AttributeKey.stringKey("cloudevents.event_type")))
                .containsExactlyInAnyOrder("ai.devana.job.error", "ai.devana.job.retry.requested");
        for (Exchange sent : busExchangesOf(failed)) {
            String traceparent = sent.getMessage().getHeader("traceparent", String.class);
            assertThat(traceparent).as("the traceparent the bus got").matches("00-" + trace + "-[0-9a-f]{16}-0[01]");
        }
        // Camel's own spans are there too (camel-opentelemetry2: the poll cycle's GET ...), in traces of their own, the
        // change linked to the cycle's; none of them for the bus, whose sends are the changes' own
        List<SpanData> camel = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getInstrumentationScopeInfo().getName().equals("camel")).toList();
        assertThat(camel).anySatisfy(s -> assertThat(s.getName()).isEqualTo("GET"));
        assertThat(camel).noneSatisfy(s -> assertThat(s.getTraceId()).isEqualTo(trace));
        assertThat(camel).noneSatisfy(s -> assertThat(String.valueOf(s.getAttributes().get(AttributeKey.stringKey("camel.uri"))))
                .contains("devana-events"));
        assertThat(change.getLinks()).hasSize(1);
        assertThat(camel).anySatisfy(s -> assertThat(s.getSpanId()).isEqualTo(change.getLinks().get(0).getSpanContext().getSpanId()));
    }

    @Test
    void each_change_of_a_job_is_a_trace_of_its_own_and_a_push_is_one_too() throws Exception {
        String job = emulator.job().type("SYNC").status("PENDING").add();
        startTraced(Map.of("devana.webhook.secret", SECRET));
        await().atMost(CYCLES).until(() -> named("publish", job).size() == 1);
        emulator.update(job, "IN_PROGRESS", 50);
        await().atMost(CYCLES).until(() -> named("publish", job).size() == 2);

        // the emulator pushes the last change, signed: the push is the detection
        byte[] body = ("{\"jobId\":\"" + job + "\",\"status\":\"DONE\",\"type\":\"SYNC\",\"deliveryId\":\"d-traced\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(Http.post(app.url("/webhook/job-status"), body, Map.of("X-Devana-Signature", Signed.devana(SECRET, body),
                "Content-Type", "application/json")).statusCode()).isEqualTo(202);
        await().atMost(CYCLES).until(() -> named("publish", job).size() == 3);

        List<SpanData> changes = named("job change", job);
        assertThat(changes).extracting(s -> s.getAttributes().get(AttributeKey.stringKey("devana.job.status")))
                .containsExactly("PENDING", "IN_PROGRESS", "DONE");
        assertThat(changes).extracting(SpanData::getTraceId).doesNotHaveDuplicates();
        assertThat(changes.get(2).getAttributes().get(AttributeKey.stringKey("devana.observed_by"))).isEqualTo("webhook");
        assertThat(changes.get(1).getAttributes().get(AttributeKey.stringKey("devana.job.previous_status"))).isEqualTo("PENDING");
        // each send is in its own change's trace
        Set<String> changeTraces = changes.stream().map(SpanData::getTraceId).collect(Collectors.toSet());
        assertThat(named("publish", job)).extracting(SpanData::getTraceId).containsExactlyInAnyOrderElementsOf(changeTraces);
    }

    @Test
    void with_traces_off_no_span_is_made_and_no_traceparent_goes_to_the_bus() throws Exception {
        String job = emulator.job().type("IMPORT").status("IN_PROGRESS").progress(10).add();
        app = RunningApp.start(settings(), Map.of("openTelemetry", sdk));
        await().atMost(CYCLES).until(() -> !busExchangesOf(job).isEmpty());
        assertThat(busExchangesOf(job)).allSatisfy(e -> assertThat(e.getMessage().getHeaders()).doesNotContainKey("traceparent"));
        assertThat(spans.getFinishedSpanItems()).isEmpty();
        assertThat(app.count("SELECT COUNT(*) FROM job_events WHERE traceparent IS NOT NULL")).isZero();
    }

    private List<SpanData> named(String name, String jobId) {
        return spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name) && jobId.equals(s.getAttributes().get(JOB_ID)))
                .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
    }

    private static SpanData single(List<SpanData> found) {
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    private List<Exchange> busExchangesOf(String jobId) {
        return app.events().getReceivedExchanges().stream()
                .filter(e -> jobId.equals(e.getMessage().getHeader("jobId"))).toList();
    }

    private List<String> eventTypesOf(String jobId) {
        return app.receivedEvents().stream().filter(e -> jobId.equals(e.get("subject")))
                .map(e -> String.valueOf(e.get("type"))).toList();
    }
}
