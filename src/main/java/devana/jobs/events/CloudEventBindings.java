package devana.jobs.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.DevanaId;
import devana.jobs.contract.MetricTags;
import devana.jobs.routes.Headers;
import devana.jobs.traces.JobTraces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.paho.mqtt5.PahoMqtt5Constants;
import org.apache.camel.component.springrabbit.SpringRabbitMQConstants;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;

/**
 * The message headers that go with a CloudEvent on the configured bus, after the CloudEvents
 * protocol binding of that bus. The body is always the JSON event (structured mode, whose binding
 * rule is the content type {@value CloudEvents#CONTENT_TYPE}); the attributes (all but data and
 * datacontenttype) are also copied into headers under the binding's names, so that a broker or a
 * consumer can filter without parsing the body (the bindings allow that in structured mode).
 * <ul>
 * <li>kafka: header {@code content-type}, headers {@code ce_<attribute>}, record key = targetId
 * (else the job id), so all events of one target land in one partition, in order;</li>
 * <li>jms, activemq: properties {@code contentType} and {@code ce_<attribute>} (valid JMS selector names);</li>
 * <li>spring-rabbitmq: AMQP {@code content_type} property and headers {@code cloudEvents_<attribute>}
 * (the AMQP binding's prefix, with the '_' separator it prefers);</li>
 * <li>paho-mqtt5: MQTT 5 Content Type property and one User Property per attribute;</li>
 * <li>anything else (nats, log, direct, http ...): nothing more than the Content-Type header.</li>
 * </ul>
 * A W3C {@code traceparent} (and {@code tracestate}) header, set when traces are on (JobTraces), goes as a header, a
 * JMS property, an AMQP header or a NATS header as the bus carries headers, and as an MQTT 5 User Property.
 */
public final class CloudEventBindings {

    /** The buses with a binding of their own, told apart by the scheme of jobs.events.uri. */
    public enum Bus { KAFKA, JMS, RABBITMQ, MQTT5, OTHER }

    private final Bus bus;
    private final ObjectMapper mapper;

    public CloudEventBindings(String eventsUri, ObjectMapper mapper) {
        this.bus = busOf(eventsUri);
        this.mapper = mapper;
    }

    public static Bus busOf(String uri) {
        int colon = uri == null ? -1 : uri.indexOf(':');
        String scheme = colon < 0 ? "" : uri.substring(0, colon).toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "kafka" -> Bus.KAFKA;
            case "jms", "activemq" -> Bus.JMS;
            case "spring-rabbitmq" -> Bus.RABBITMQ;
            case "paho-mqtt5" -> Bus.MQTT5;
            default -> Bus.OTHER;
        };
    }

    public Bus bus() {
        return bus;
    }

    /**
     * Sets the bus's headers on the message whose body is one CloudEvent (JSON) with the publisher's headers.
     * First the headers that come from the API, which jobs.events.uri may put into a topic, a subject, a
     * routing key or a key (the route sends with toD): a job type that is not a plain token (say "OCR/#" or
     * "X?brokerUrl=...") would change the endpoint, or be refused by the bus and hold the outbox up, so it
     * goes as OTHER; a job id or target id that is not a Devana id is not set. The event keeps them as
     * stored (jobtype, subject, targetid).
     */
    public void apply(Exchange exchange) {
        Message message = exchange.getMessage();
        if (!DevanaId.isValid(message.getHeader(Headers.JOB_TYPE, String.class))) {
            message.setHeader(Headers.JOB_TYPE, MetricTags.OTHER);
        }
        for (String id : new String[] {Headers.JOB_ID, Headers.TARGET_ID}) {
            if (!DevanaId.isValid(message.getHeader(id, String.class))) {
                message.removeHeader(id);
            }
        }
        if (bus == Bus.OTHER) {
            return;
        }
        Map<String, String> attributes = attributes(message.getBody(String.class));
        message.removeHeader("Content-Type");
        switch (bus) {
            case KAFKA -> {
                message.setHeader("content-type", CloudEvents.CONTENT_TYPE);
                attributes.forEach((name, value) -> message.setHeader("ce_" + name, value));
                String target = message.getHeader(Headers.TARGET_ID, String.class);
                message.setHeader(KafkaConstants.KEY, target != null ? target : message.getHeader(Headers.JOB_ID, String.class));
            }
            case JMS -> {
                message.setHeader("contentType", CloudEvents.CONTENT_TYPE);
                attributes.forEach((name, value) -> message.setHeader("ce_" + name, value));
            }
            case RABBITMQ -> {
                message.setHeader(SpringRabbitMQConstants.CONTENT_TYPE, CloudEvents.CONTENT_TYPE);
                attributes.forEach((name, value) -> message.setHeader("cloudEvents_" + name, value));
            }
            case MQTT5 -> {
                MqttProperties properties = new MqttProperties();
                properties.setContentType(CloudEvents.CONTENT_TYPE);
                properties.setPayloadFormat(true);
                List<UserProperty> user = new ArrayList<>();
                attributes.forEach((name, value) -> user.add(new UserProperty(name, value)));
                for (String trace : new String[] {JobTraces.TRACEPARENT, "tracestate"}) {
                    String value = message.getHeader(trace, String.class);
                    if (value != null) {
                        user.add(new UserProperty(trace, value));
                    }
                }
                properties.setUserProperties(user);
                message.setHeader(PahoMqtt5Constants.CAMEL_PAHO_MSG_PROPERTIES, properties);
            }
            default -> throw new IllegalStateException("no binding for " + bus);
        }
    }

    private Map<String, String> attributes(String json) {
        try {
            Map<String, String> attributes = new LinkedHashMap<>();
            JsonNode event = mapper.readTree(json);
            event.fields().forEachRemaining(field -> {
                String name = field.getKey();
                if (!name.equals("data") && !name.equals("datacontenttype") && field.getValue().isValueNode()
                        && !field.getValue().isNull()) {
                    attributes.put(name, field.getValue().asText());
                }
            });
            return attributes;
        } catch (IOException e) {
            throw new UncheckedIOException("the outbox holds an event that is not JSON", e);
        }
    }
}
