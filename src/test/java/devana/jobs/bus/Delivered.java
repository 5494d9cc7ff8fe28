package devana.jobs.bus;

import devana.jobs.Json;
import java.util.Map;

/**
 * One message as a consumer of the bus received it: the CloudEvent of its body, where it was sent
 * (routing key, topic or subject), its headers or properties as text, and its key where the bus has one.
 */
record Delivered(Map<String, Object> event, String destination, Map<String, String> headers, String key) {

    static Delivered of(String body, String destination, Map<String, String> headers, String key) {
        return new Delivered(Json.read(body), destination, Map.copyOf(headers), key);
    }

    String id() {
        return (String) event.get("id");
    }

    String type() {
        return (String) event.get("type");
    }

    String subject() {
        return (String) event.get("subject");
    }

    String jobType() {
        return (String) event.get("jobtype");
    }

    String targetId() {
        return (String) event.get("targetid");
    }
}
