package devana.jobs.events;

import devana.jobs.text.OneLine;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * Tells a bus's refusal of one event that no retry can fix (the event is too large for it, or its policy refuses
 * it) from everything else: an outage (connection refused, a timeout, a broker restarting), a setting that refuses
 * every event (a topic that does not exist, credentials), or a failure we do not know. Only the first kind may
 * park an event (EventParking): the rest keep it, and every event behind it, in the outbox and in order.
 *
 * <p>The rules are per component, by the exception a client library throws for that one message, found by
 * experiment against each real broker (docs/operations.md, "Events a bus refuses"). A failure none of them
 * names is an outage: waiting is the safe answer to what we do not know.
 */
public final class BusRefusals {

    /** One kind of refusal: the exception class (by name: a client library may be absent) and what else it must say. */
    private record Rule(String bus, String exceptionClass, Predicate<Throwable> says) {

        boolean matches(Throwable cause) {
            return named(cause.getClass(), exceptionClass) && says.test(cause);
        }

        private static boolean named(Class<?> type, String name) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                if (c.getName().equals(name)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final String KAFKA = "Kafka";
    private static final String ARTEMIS = "Artemis";
    private static final String NATS = "NATS";
    private static final String MQTT = "MQTT";
    private static final String PAHO = "org.eclipse.paho.mqttv5.common.MqttException";
    private static final Pattern DISCONNECT_RC = Pattern.compile("Disconnect RC: ([0-9]{1,3})");

    private static final List<Rule> RULES = List.of(
            // the record is over the producer's max.request.size, or the broker's message.max.bytes for the topic
            new Rule(KAFKA, "org.apache.kafka.common.errors.RecordTooLargeException", any()),
            new Rule(KAFKA, "org.apache.kafka.common.errors.RecordBatchTooLargeException", any()),
            // the broker's checks of the record itself (a compacted topic refuses a record without a key). Not
            // InvalidTopicException nor TopicAuthorizationException: they refuse every event, a setting to fix
            new Rule(KAFKA, "org.apache.kafka.common.InvalidRecordException", any()),
            // JMS: a message the provider cannot send as it is
            new Rule("JMS", "jakarta.jms.MessageFormatException", any()),
            // Artemis: a broker plugin's policy refusing this message (it throws before routing), which the client is
            // told as ILLEGAL_STATE with the plugin's text. Artemis's own illegal states (AMQ219... of the client,
            // AMQ229... of the broker) are about their state, not the message; a full address, a lost connection, a
            // missing permission are outages or settings.
            new Rule(ARTEMIS, "org.apache.activemq.artemis.api.core.ActiveMQIllegalStateException",
                    message(text -> !text.isBlank() && !text.startsWith("AMQ"))),
            // NATS: over the server's max_payload (jnats checks before sending), or over a JetStream stream's
            // max_msg_size (API error 10054). Not 10077 and the other "stream full" errors: they pass once consumed.
            new Rule(NATS, "java.lang.IllegalArgumentException",
                    message(text -> text.startsWith("Message payload size exceed server configuration"))),
            new Rule(NATS, "io.nats.client.JetStreamApiException", message(text -> text.contains("[10054]"))),
            // MQTT 5 (Paho): the broker's "packet too large" (0x95), as a DISCONNECT (over its maximum packet size) or
            // as a PUBACK reason code that Paho 1.2 cannot read (50001, "Invalid Return code"); and the PUBACK
            // refusals of this message, 0x83 (implementation specific: a policy) and 0x99 (payload format invalid).
            // Not 0x87 (not authorized) nor 0x97 (quota exceeded): a setting, and a wait.
            new Rule(MQTT, PAHO, disconnectedWith(0x95)),
            new Rule(MQTT, PAHO, reasonCode(50001, 0x83, 0x99)),
            // RabbitMQ: over the broker's max_message_size it closes the channel, 406 PRECONDITION_FAILED "message size
            // ... is larger than configured max size" (publisher confirms on, as the setup in docs/operations.md has).
            // Not a nack (a queue full with reject-publish: it passes once consumed), nor other 406s (a declaration
            // that does not match: every event's), nor a lost or refused connection.
            new Rule("RabbitMQ", "com.rabbitmq.client.ShutdownSignalException", message(text -> text.contains("reply-code=406")
                    && text.contains("larger than configured max size"))));

    private BusRefusals() {
    }

    /** Why the bus will never take this event, when {@code failure} says so; empty for any other failure. */
    public static Optional<String> permanent(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            for (Rule rule : RULES) {
                if (rule.matches(cause)) {
                    return Optional.of(rule.bus() + " refused the event: " + OneLine.describe(cause));
                }
            }
        }
        return Optional.empty();
    }

    private static Predicate<Throwable> any() {
        return cause -> true;
    }

    private static Predicate<Throwable> message(Predicate<String> text) {
        return cause -> text.test(cause.getMessage() == null ? "" : cause.getMessage());
    }

    /**
     * Paho's "the server disconnected the client" (32204) whose DISCONNECT reason code, the first "Disconnect RC: n" of
     * the message (the broker's own reason text may follow), is {@code code}.
     */
    private static Predicate<Throwable> disconnectedWith(int code) {
        return cause -> {
            if (((MqttException) cause).getReasonCode() != 32204) {
                return false;
            }
            Matcher rc = DISCONNECT_RC.matcher(String.valueOf(cause.getMessage()));
            return rc.find() && rc.group(1).equals(String.valueOf(code));
        };
    }

    /** A Paho MqttException's reason code among these (the class is checked by name first). */
    private static Predicate<Throwable> reasonCode(int... codes) {
        return cause -> {
            int code = ((MqttException) cause).getReasonCode();
            return Arrays.stream(codes).anyMatch(c -> c == code);
        };
    }
}
