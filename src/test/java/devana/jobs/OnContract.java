package devana.jobs;

import devana.emulator.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The requests docs/jobs-api.md allows, written here on their own (not the app's ApiRequest), to judge what
 * the emulator received: GET /v1/jobs with targetId, type (a status), limit 1..100 and offset 0..1000, each
 * at most once; POST /v1/documents/{id}/reextract and POST /v1/folders/{id}/reindex without a query.
 */
public final class OnContract {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final Pattern RETRY = Pattern.compile("/v1/(documents/[A-Za-z0-9_-]{1,128}/reextract|folders/[A-Za-z0-9_-]{1,128}/reindex)");
    private static final Set<String> STATUSES = Set.of("PENDING", "IN_PROGRESS", "DONE", "ERROR");

    private OnContract() {
    }

    /** Null when the request is one the contract allows, else why not. */
    public static String violation(RecordedRequest request) {
        if ("GET".equals(request.method()) && "/v1/jobs".equals(request.path())) {
            return queryViolation(request.query());
        }
        if ("POST".equals(request.method()) && RETRY.matcher(request.path()).matches()) {
            return request.query() == null ? null : "a retry call with a query: " + request.query();
        }
        return "off the contract: " + request.method() + " " + request.path();
    }

    private static String queryViolation(String query) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        Set<String> seen = new HashSet<>();
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
                return "a parameter without a value: " + query;
            }
            String key = pair.substring(0, eq);
            String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (!seen.add(key)) {
                return "a repeated parameter: " + query;
            }
            boolean ok = switch (key) {
                case "targetId" -> ID.matcher(value).matches();
                case "type" -> STATUSES.contains(value);
                case "limit" -> value.matches("\\d{1,3}") && Integer.parseInt(value) >= 1 && Integer.parseInt(value) <= 100;
                case "offset" -> value.matches("\\d{1,4}") && Integer.parseInt(value) <= 1000;
                default -> false;
            };
            if (!ok) {
                return "a parameter off the contract: " + query;
            }
        }
        return null;
    }
}
