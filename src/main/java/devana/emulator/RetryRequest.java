package devana.emulator;

import java.time.Instant;

/** An accepted retry call: {@code kind} is "reextract" or "reindex". */
public record RetryRequest(String kind, String targetId, String newJobId, Instant at) {
}
