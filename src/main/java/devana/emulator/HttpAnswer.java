package devana.emulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** One answer of the emulator: the API's JSON envelopes ({@code success} with {@code data} or {@code error}), or raw bytes. */
record HttpAnswer(int status, String contentType, byte[] body, Map<String, String> headers) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static HttpAnswer ok(int status, Object data) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", true);
        body.put("data", data);
        return json(status, body);
    }

    static HttpAnswer error(int status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("error", message);
        return json(status, body);
    }

    private static HttpAnswer json(int status, Object body) {
        try {
            return new HttpAnswer(status, "application/json", JSON.writeValueAsBytes(body), Map.of());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a response", e);
        }
    }

    /** The same answer with these headers instead of its own. */
    HttpAnswer withHeaders(Map<String, String> replaced) {
        return new HttpAnswer(status, contentType, body, replaced);
    }

    /** Writes this answer and closes the exchange. */
    void sendTo(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (contentType != null) {
                exchange.getResponseHeaders().set("Content-Type", contentType);
            }
            headers.forEach(exchange.getResponseHeaders()::set);
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }
}
