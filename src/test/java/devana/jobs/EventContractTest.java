package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import devana.jobs.events.CloudEventBindings;
import devana.jobs.events.CloudEvents;
import devana.jobs.state.JobSnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * docs/events.asyncapi.yaml itself: an AsyncAPI 3.0 document whose references all resolve, with a channel and a send
 * operation for each bus the publisher has a binding for, and a JobEvent schema that holds the events {@link CloudEvents}
 * makes and refuses the ones that break the contract. The pipeline suite checks every event it publishes against it
 * ({@link EventContract}).
 */
class EventContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void is_an_asyncapi_3_document_with_a_channel_and_a_send_operation_for_every_bus_binding() throws Exception {
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(EventContract.DOCUMENT.toFile());
        assertThat(doc.path("asyncapi").asText()).isEqualTo("3.0.0");
        assertThat(doc.path("defaultContentType").asText()).isEqualTo(CloudEvents.CONTENT_TYPE);

        Map<CloudEventBindings.Bus, String> channelOf = Map.of(CloudEventBindings.Bus.KAFKA, "kafka",
                CloudEventBindings.Bus.JMS, "jms", CloudEventBindings.Bus.RABBITMQ, "rabbitmq", CloudEventBindings.Bus.MQTT5, "mqtt");
        for (CloudEventBindings.Bus bus : CloudEventBindings.Bus.values()) {
            if (bus != CloudEventBindings.Bus.OTHER) {
                assertThat(doc.path("channels").has(channelOf.get(bus))).as("a channel for %s", bus).isTrue();
            }
        }
        List<String> channels = new ArrayList<>();
        doc.path("channels").fieldNames().forEachRemaining(channels::add);
        assertThat(channels).contains("nats", "http");
        List<String> sent = new ArrayList<>();
        doc.path("operations").forEach(operation -> {
            assertThat(operation.path("action").asText()).isEqualTo("send");
            sent.add(operation.path("channel").path("$ref").asText());
        });
        assertThat(sent).containsExactlyInAnyOrderElementsOf(channels.stream().map(c -> "#/channels/" + c).toList());
        for (String channel : channels) {
            JsonNode message = resolve(doc, doc.path("channels").path(channel).path("messages").path("jobEvent").path("$ref").asText());
            assertThat(message.path("payload").path("$ref").asText()).as("%s's payload", channel).isEqualTo("#/components/schemas/JobEvent");
            assertThat(message.path("contentType").asText()).isEqualTo(CloudEvents.CONTENT_TYPE);
        }
        List<String> unresolved = new ArrayList<>();
        walk(doc, node -> {
            JsonNode ref = node.get("$ref");
            if (ref != null && resolve(doc, ref.asText()).isMissingNode()) {
                unresolved.add(ref.asText());
            }
        });
        assertThat(unresolved).isEmpty();
    }

    @Test
    void holds_the_events_the_app_makes_for_each_status_and_retry_decision() throws Exception {
        CloudEvents events = new CloudEvents(Map.of("default", "https://api.devana.ai", "eu-team", "https://eu.devana.example/"), JSON);
        Instant now = Instant.parse("2026-12-03T10:15:30Z");
        List<String> made = new ArrayList<>();
        for (String status : List.of("PENDING", "IN_PROGRESS", "DONE", "ERROR")) {
            made.add(events.statusChanged("default", job(status, "cm4doc123abc456"), now, false).json());
        }
        made.add(events.statusChanged("eu-team", job("DONE", null), now, false).json());
        made.add(events.statusChanged("default", job("DONE", "cm4doc123abc456"), now, true).json());
        made.add(events.retryDecided("default", job("ERROR", "cm4doc123abc456"), "REQUESTED", 2, now).json());
        made.add(events.retryDecided("eu-team", job("ERROR", "cm4doc123abc456"), "EXHAUSTED", null, now).json());
        made.add(events.retryDecided("default", job("ERROR", "cm4doc123abc456"), "REJECTED", null, now).json());

        EventContract.assertHonouredBy(made);
    }

    @Test
    void refuses_events_that_break_the_contract() throws Exception {
        CloudEvents events = new CloudEvents(Map.of("default", "https://api.devana.ai"), JSON);
        String done = events.statusChanged("default", job("DONE", "cm4doc123abc456"), Instant.now(), false).json();
        assertThat(EventContract.violations(done)).isEmpty();

        assertThat(EventContract.violations(changed(done, e -> e.put("type", "ai.devana.job.killed")))).isNotEmpty();
        assertThat(EventContract.violations(changed(done, e -> e.remove("subject")))).isNotEmpty();
        assertThat(EventContract.violations(changed(done, e -> e.put("specversion", "0.3")))).isNotEmpty();
        assertThat(EventContract.violations(changed(done, e -> e.put("time", "yesterday")))).isNotEmpty();
        assertThat(EventContract.violations(changed(done, e -> e.put("id", "not-a-uuid")))).isNotEmpty();
        assertThat(EventContract.violations(changed(done, e -> e.put("source", "https://api.devana.ai/v2/other")))).isNotEmpty();
        // a done event whose job is not DONE, an attempt outside retry.requested, an attribute nobody agreed on
        assertThat(EventContract.violations(changed(done, e -> ((ObjectNode) e.get("data")).put("status", "ERROR")))).isNotEmpty();
        assertThat(EventContract.violations(changed(done, e -> e.put("attempt", 1)))).isNotEmpty();
        assertThat(EventContract.violations(changed(done, e -> e.put("priority", "high")))).isNotEmpty();
        assertThat(EventContract.violations(changed(done, e -> e.put("account", "Not An Account")))).isNotEmpty();
    }

    private static JobSnapshot job(String status, String targetId) {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("id", "cm4job789xyz123");
        job.put("userId", "cm4user1");
        if (targetId != null) {
            job.put("targetId", targetId);
        }
        job.put("type", "EXTRACTION");
        job.put("status", status);
        job.put("progress", "DONE".equals(status) ? 100 : 40);
        job.put("metadata", Map.of("fileName", "contrat.pdf", "pageCount", 12));
        if ("ERROR".equals(status)) {
            job.put("error", "corrupted xref table");
        }
        job.put("createdAt", "2026-12-03T10:00:00Z");
        job.put("updatedAt", "2026-12-03T10:15:00Z");
        job.put("someFieldOfTomorrow", List.of(1, 2));
        return JobSnapshot.of(job);
    }

    private static String changed(String event, Consumer<ObjectNode> change) throws Exception {
        ObjectNode node = (ObjectNode) JSON.readTree(event);
        change.accept(node);
        return JSON.writeValueAsString(node);
    }

    private static JsonNode resolve(JsonNode doc, String ref) {
        return ref.startsWith("#") ? doc.at(ref.substring(1)) : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static void walk(JsonNode node, Consumer<JsonNode> visit) {
        if (node.isContainerNode()) {
            visit.accept(node);
            node.forEach(child -> walk(child, visit));
        }
    }
}
