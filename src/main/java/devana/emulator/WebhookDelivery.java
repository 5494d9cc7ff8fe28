package devana.emulator;

import java.time.Instant;

/** One webhook push the emulator sent: {@code httpStatus} 0 when no answer came (then {@code failure} says why). */
public record WebhookDelivery(String jobId, String status, int httpStatus, String responseBody, String failure, Instant at) {
}
