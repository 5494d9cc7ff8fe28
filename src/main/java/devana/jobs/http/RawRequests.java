package devana.jobs.http;

import io.vertx.core.http.HttpServerRequest;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The webhook requests the {@link RequestGuard} read, as they came: the raw bytes of the body (whatever its
 * content type says: Camel would parse a form and the signature covers the bytes) and the headers a
 * signature is read from, taken from the HTTP request itself (Camel would also make query parameters into
 * headers). The guard hands each over to the route by its request; the route takes it once.
 */
public final class RawRequests {

    /** The headers kept: the two signature schemes the webhook knows. */
    static final String[] SIGNATURE_HEADERS = {"x-devana-signature", "webhook-id", "webhook-timestamp", "webhook-signature"};

    private final Map<HttpServerRequest, RawRequest> waiting = new ConcurrentHashMap<>();

    /** A request body and its signature headers (lower-case names; a header sent twice is not kept). */
    public record RawRequest(byte[] body, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    void put(HttpServerRequest request, RawRequest raw) {
        waiting.put(request, raw);
    }

    void forget(HttpServerRequest request) {
        waiting.remove(request);
    }

    /** The request of this exchange as the guard read it, or null when it did not come through the guard. */
    public RawRequest take(Exchange exchange) {
        HttpMessage message = exchange.getIn(HttpMessage.class);
        return message == null || message.getRequest() == null ? null : waiting.remove(message.getRequest());
    }
}
