package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The event contract of docs/events.asyncapi.yaml, as the tests hold the app to it: an event validates against the
 * document's JobEvent schema (the networknt validator, JSON Schema draft 7, the dialect AsyncAPI 3.0's Schema
 * Object extends, formats asserted), and the CloudEvents Java SDK reads it in structured mode with the same
 * attributes and data.
 */
final class EventContract {

    static final Path DOCUMENT = Path.of("docs", "events.asyncapi.yaml");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchema JOB_EVENT = schema("JobEvent");

    private EventContract() {
    }

    /** One of the document's component schemas, its references resolved within the document. */
    static JsonSchema schema(String name) {
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(
                SchemaLocation.of(DOCUMENT.toAbsolutePath().toUri() + "#/components/schemas/" + name), config);
    }

    /** What the JobEvent schema finds wrong with this event, one line per finding (none when it holds). */
    static List<String> violations(String event) throws Exception {
        Set<ValidationMessage> messages = JOB_EVENT.validate(JSON.readTree(event));
        return messages.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.toList());
    }

    /** Every event holds to the contract: the schema finds nothing, and the SDK reads what the JSON says. */
    static void assertHonouredBy(List<String> events) throws Exception {
        EventFormat format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
        assertThat(format).as("the CloudEvents SDK's JSON format").isNotNull();
        for (String text : events) {
            assertThat(violations(text)).as("schema findings for %s", text).isEmpty();
            JsonNode json = JSON.readTree(text);
            CloudEvent event = format.deserialize(text.getBytes(StandardCharsets.UTF_8));
            assertThat(event.getSpecVersion()).isEqualTo(io.cloudevents.SpecVersion.V1);
            assertThat(event.getId()).isEqualTo(json.get("id").asText());
            assertThat(event.getType()).isEqualTo(json.get("type").asText());
            assertThat(event.getSource()).hasToString(json.get("source").asText());
            assertThat(event.getSubject()).isEqualTo(json.get("subject").asText());
            assertThat(event.getTime()).isNotNull();
            assertThat(event.getDataContentType()).isEqualTo("application/json");
            assertThat(event.getExtension("jobtype")).isEqualTo(json.get("jobtype").asText());
            assertThat(event.getExtension("account")).isEqualTo(json.get("account").asText());
            assertThat(event.getData()).isNotNull();
            assertThat(JSON.readTree(event.getData().toBytes())).isEqualTo(json.get("data"));
        }
    }
}
