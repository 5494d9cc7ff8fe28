package devana.emulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending side of the vendor's webhooks: POSTs {@code {jobId, status, targetId, type, metadata}}
 * (error in {@code metadata.error}) to one URL, signed {@code X-Devana-Signature: sha256=<hex HMAC-SHA256
 * of the raw body>}. Pushes leave one at a time, in the order of the changes; each is sent once.
 */
final class WebhookSender implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final SecretKeySpec key;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService queue;
    private final List<WebhookDelivery> deliveries;

    WebhookSender(String url, String secret, ExecutorService queue, List<WebhookDelivery> deliveries) {
        this.url = URI.create(url);
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.queue = queue;
        this.deliveries = deliveries;
    }

    static WebhookSender create(String url, String secret, List<WebhookDelivery> deliveries) {
        return new WebhookSender(url, secret, Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "devana-emulator-webhooks");
            thread.setDaemon(true);
            return thread;
        }), deliveries);
    }

    /** The push body for a job as the API shows it. */
    static Map<String, Object> payload(Map<String, Object> job) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (job.get("metadata") instanceof Map<?, ?> known) {
            known.forEach((field, value) -> metadata.put(String.valueOf(field), value));
        }
        if (job.get("error") != null) {
            metadata.put("error", job.get("error"));
        }
        Map<String, Object> push = new LinkedHashMap<>();
        push.put("jobId", job.get("id"));
        push.put("status", job.get("status"));
        push.put("targetId", job.get("targetId"));
        push.put("type", job.get("type"));
        push.put("metadata", metadata);
        return push;
    }

    void sendLater(Map<String, Object> push) {
        queue.execute(() -> send(push));
    }

    WebhookDelivery send(Map<String, Object> push) {
        String jobId = String.valueOf(push.get("jobId"));
        String status = String.valueOf(push.get("status"));
        WebhookDelivery delivery;
        try {
            byte[] body = JSON.writeValueAsBytes(push);
            HttpRequest request = HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("X-Devana-Signature", "sha256=" + hmac(body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            delivery = new WebhookDelivery(jobId, status, response.statusCode(), response.body(), null, Instant.now());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            delivery = new WebhookDelivery(jobId, status, 0, null, "interrupted", Instant.now());
        } catch (IOException | RuntimeException e) {
            delivery = new WebhookDelivery(jobId, status, 0, null, e.toString(), Instant.now());
        }
        deliveries.add(delivery);
        log.debug("webhook push of job {} {} to {}: {}", jobId, status, url,
                delivery.httpStatus() == 0 ? delivery.failure() : "HTTP " + delivery.httpStatus());
        return delivery;
    }

    private String hmac(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    @Override
    public void close() {
        queue.shutdownNow();
    }

    @Override
    public String toString() {
        return "WebhookSender[" + url + "]";
    }
}
