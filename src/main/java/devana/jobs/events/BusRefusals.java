package devana.jobs.events;

import devana.jobs.text.OneLine;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

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

    /** One kind of refusal: the exception class (by name: a client library may be absent) and what its message says. */
    private record Rule(String bus, String exceptionClass, Predicate<String> message) {

        boolean matches(Throwable cause) {
            return named(cause.getClass(), exceptionClass) && message.test(cause.getMessage() == null ? "" : cause.getMessage());
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

    private static final List<Rule> RULES = List.of(
            // the record is over the producer's max.request.size, or the broker's message.max.bytes for the topic
            new Rule("Kafka", "org.apache.kafka.common.errors.RecordTooLargeException", any()),
            new Rule("Kafka", "org.apache.kafka.common.errors.RecordBatchTooLargeException", any()),
            // the broker's checks of the record itself (a compacted topic refuses a record without a key). Not
            // InvalidTopicException nor TopicAuthorizationException: they refuse every event, a setting to fix
            new Rule("Kafka", "org.apache.kafka.common.InvalidRecordException", any()),
            // JMS: a message the provider cannot send as it is
            new Rule("JMS", "jakarta.jms.MessageFormatException", any()),
            // Artemis: a broker plugin's policy refusing this message (it throws before routing), which the client is
            // told as ILLEGAL_STATE with the plugin's text. The client's own illegal states (AMQ219...) are not
            // about the message; a full address, a lost connection, a missing permission are outages or settings.
            new Rule("Artemis", "org.apache.activemq.artemis.api.core.ActiveMQIllegalStateException",
                    message -> !message.startsWith("AMQ219")),
            // NATS: over the server's max_payload (jnats checks before sending), or over a JetStream stream's
            // max_msg_size (API error 10054). Not 10077 and the other "stream full" errors: they pass once consumed.
            new Rule("NATS", "java.lang.IllegalArgumentException",
                    message -> message.startsWith("Message payload size exceed server configuration")),
            new Rule("NATS", "io.nats.client.JetStreamApiException", message -> message.contains("[10054]")));

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

    private static Predicate<String> any() {
        return message -> true;
    }
}
