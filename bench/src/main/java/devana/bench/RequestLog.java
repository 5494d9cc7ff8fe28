package devana.bench;

import devana.emulator.RecordedRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Every request one emulator received, stamped on arrival (before it is answered). */
final class RequestLog {

    private static final Pattern RETRY = Pattern.compile("/v1/(?:documents|folders)/([^/]+)/(?:reextract|reindex)");

    record Request(String method, String kind, Instant at, long nanos) {
    }

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, List<Instant>> retryPosts = new ConcurrentHashMap<>();
    private volatile long firstGetNanos;

    void record(RecordedRequest request) {
        long nanos = System.nanoTime();
        Instant at = Instant.now();
        if ("GET".equals(request.method()) && firstGetNanos == 0) {
            firstGetNanos = nanos;
        }
        requests.add(new Request(request.method(), kind(request), at, nanos));
        Matcher retry = RETRY.matcher(request.path());
        if ("POST".equals(request.method()) && retry.matches()) {
            retryPosts.computeIfAbsent(retry.group(1), t -> new CopyOnWriteArrayList<>()).add(at);
        }
    }

    long firstGetNanos() {
        return firstGetNanos;
    }

    List<Request> requests() {
        return new ArrayList<>(requests);
    }

    /** Retry POST arrival times for one target (empty when none came). */
    List<Instant> retryPosts(String targetId) {
        return retryPosts.getOrDefault(targetId, List.of());
    }

    /** Requests between two instants, counted by kind, in a stable order. */
    Map<String, Long> countByKind(Instant from, Instant to) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String kind : List.of("GET newest page", "GET deeper page", "GET ?type=IN_PROGRESS, first page",
                "GET ?type=IN_PROGRESS, deeper page", "GET ?type=PENDING", "GET ?type=ERROR", "GET ?targetId=", "POST retry", "other")) {
            counts.put(kind, 0L);
        }
        for (Request request : requests) {
            if (!request.at().isBefore(from) && request.at().isBefore(to)) {
                counts.merge(request.kind(), 1L, Long::sum);
            }
        }
        return counts;
    }

    private static String kind(RecordedRequest request) {
        String query = request.query() == null ? "" : request.query();
        if ("POST".equals(request.method())) {
            return "POST retry";
        }
        if (!"GET".equals(request.method())) {
            return "other";
        }
        if (query.contains("targetId=")) {
            return "GET ?targetId=";
        }
        if (query.contains("type=ERROR")) {
            return "GET ?type=ERROR";
        }
        boolean deeper = query.contains("offset=") && !query.contains("offset=0");
        if (query.contains("type=IN_PROGRESS")) {
            return deeper ? "GET ?type=IN_PROGRESS, deeper page" : "GET ?type=IN_PROGRESS, first page";
        }
        if (query.contains("type=")) {
            return "GET ?type=PENDING";
        }
        return deeper ? "GET deeper page" : "GET newest page";
    }
}
