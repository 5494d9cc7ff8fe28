package devana.emulator;

import java.time.Instant;

/** One HTTP request the emulator received; {@code query} is raw (may be null), {@code status} is 0 until answered. */
public record RecordedRequest(String method, String path, String query, int status, Instant at) {
}
