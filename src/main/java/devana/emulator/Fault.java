package devana.emulator;

import java.time.Duration;
import java.util.Map;

/**
 * A canned answer that replaces the emulator's own for one matching request.
 * Status 0 means "answer normally", which only makes sense together with a delay.
 */
public record Fault(int status, String contentType, String body, Map<String, String> headers, Duration delay) {

    public Fault {
        if (status != 0 && (status < 100 || status > 599)) {
            throw new IllegalArgumentException("status must be 0 or an HTTP status code, got " + status);
        }
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        delay = delay == null ? Duration.ZERO : delay;
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative");
        }
    }

    public static Fault status(int code) {
        return new Fault(code, "application/json", errorJson("injected fault: HTTP " + code), Map.of(), Duration.ZERO);
    }

    public static Fault tooManyRequests(int retryAfterSeconds) {
        return new Fault(429, "application/json", errorJson("rate limit exceeded"),
                Map.of("Retry-After", String.valueOf(retryAfterSeconds)), Duration.ZERO);
    }

    public static Fault html(int code) {
        String page = "<html><head><title>" + code + "</title></head><body><h1>" + code
                + " - upstream error</h1><p>nginx</p></body></html>";
        return new Fault(code, "text/html; charset=utf-8", page, Map.of(), Duration.ZERO);
    }

    public static Fault malformedJson() {
        String truncated = "{\"success\":true,\"data\":[{\"id\":\"cm4job";
        return new Fault(200, "application/json", truncated, Map.of(), Duration.ZERO);
    }

    public static Fault slow(Duration delay) {
        return new Fault(0, null, null, Map.of(), delay);
    }

    boolean answersNormally() {
        return status == 0;
    }

    private static String errorJson(String message) {
        return "{\"success\":false,\"error\":\"" + message + "\"}";
    }
}
