package devana.jobs.contract;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * One request to the Devana API, and the only way one is made: the three calls of docs/jobs-api.md, built
 * from checked parts (ids against {@link DevanaId}, the status filter against {@link JobStatus}, limit and
 * offset within {@link ListingQuery}'s bounds), each part percent-encoded. The routes send it to an endpoint
 * whose URI and method they fix; {@link #applyTo} sets the path and the query beside it and first removes
 * every header with which camel-http would let a message change the URL, so nothing from data is ever read
 * as an endpoint option, a property placeholder, a path segment or a header.
 * <p>
 * {@link #refusal} says, for a request about to leave, whether it is one of these calls: the HTTP client
 * asks it before it adds the API key ({@code devana.jobs.client.DevanaApiClient}).
 */
public record ApiRequest(String method, String path, String query) {

    public static final String JOBS_PATH = "/v1/jobs";
    /** The query parameters GET /v1/jobs knows. */
    public static final Set<String> LISTING_PARAMETERS = Set.of("targetId", "type", "limit", "offset");

    private static final Pattern RETRY_PATH = Pattern.compile("/v1/(documents/([^/?#]+)/reextract|folders/([^/?#]+)/reindex)");
    /**
     * The headers camel-http takes a URL, a path, a query, a method or a protocol version from (CamelHttpUri,
     * CamelHttpPath, CamelHttpQuery, CamelHttpRawQuery, CamelHttpMethod, CamelRestHttpUri ...), any case.
     */
    private static final String CONTROL_HEADERS = "(?i)camel(http|rest).*";

    /**
     * GET /v1/jobs: {@code targetId} (a Devana id) and {@code status} (the API calls that filter {@code type})
     * may be null; {@code offset} is left out when null.
     */
    public static ApiRequest jobs(String targetId, String status, int limit, Integer offset) {
        StringJoiner query = new StringJoiner("&");
        if (targetId != null) {
            query.add("targetId=" + encode(DevanaId.require(targetId, "targetId")));
        }
        if (status != null) {
            if (!JobStatus.isKnown(status)) {
                throw new IllegalArgumentException("the status filter must be one of " + JobStatus.KNOWN);
            }
            query.add("type=" + status);
        }
        if (limit < 1 || limit > ListingQuery.MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be 1.." + ListingQuery.MAX_LIMIT + ", got " + limit);
        }
        query.add("limit=" + limit);
        if (offset != null) {
            if (offset < 0 || offset > ListingQuery.MAX_OFFSET) {
                throw new IllegalArgumentException("offset must be 0.." + ListingQuery.MAX_OFFSET + ", got " + offset);
            }
            query.add("offset=" + offset);
        }
        return new ApiRequest("GET", JOBS_PATH, query.toString());
    }

    /** The jobs of one target, newest first, as many as one answer holds. */
    public static ApiRequest jobsOfTarget(String targetId) {
        return jobs(targetId, null, ListingQuery.MAX_LIMIT, null);
    }

    /** POST /v1/documents/{id}/reextract (EXTRACTION) or /v1/folders/{id}/reindex (EMBEDDING). */
    public static ApiRequest retry(String jobType, String targetId) {
        String id = encode(DevanaId.require(targetId, "targetId"));
        return switch (jobType) {
            case JobType.EXTRACTION -> new ApiRequest("POST", "/v1/documents/" + id + "/reextract", null);
            case JobType.EMBEDDING -> new ApiRequest("POST", "/v1/folders/" + id + "/reindex", null);
            default -> throw new IllegalArgumentException("the API has no retry call for jobs of type " + jobType);
        };
    }

    /** Makes the message this request, for an endpoint on the API's base URL whose method is this one's. */
    public void applyTo(Message message) {
        message.removeHeaders(CONTROL_HEADERS);
        message.setHeader(Exchange.HTTP_PATH, path);
        if (query != null) {
            message.setHeader(Exchange.HTTP_QUERY, query);
        }
        // the calls take no payload: a GET sends none, a POST an empty one
        message.setBody("POST".equals(method) ? "" : null);
    }

    /** Makes the exchange's message this request (the step right before a route sends it). */
    public void prepare(Exchange exchange) {
        applyTo(exchange.getMessage());
    }

    /**
     * Null when {@code method}, {@code path} (below the base URL's own path) and {@code rawQuery} (still
     * encoded, may be null) make one of the API's calls; otherwise why not, in words that repeat none of it.
     */
    public static String refusal(String method, String path, String rawQuery) {
        if (JOBS_PATH.equals(path)) {
            if (!"GET".equals(method)) {
                return "only GET is sent to " + JOBS_PATH;
            }
            return listingRefusal(rawQuery);
        }
        RetryCall retry = retryCall(path);
        if (retry == null) {
            return "not a path of the API's contract";
        }
        if (!"POST".equals(method)) {
            return "only POST is sent to a retry call";
        }
        if (rawQuery != null && !rawQuery.isEmpty()) {
            return "a retry call takes no query";
        }
        return DevanaId.isValid(retry.rawTarget()) ? null : "the target in the path is not a Devana id";
    }

    /**
     * The retry call a path names: {@code /v1/documents/{id}/reextract} (EXTRACTION) or
     * {@code /v1/folders/{id}/reindex} (EMBEDDING), the target as written there; null for any other path.
     */
    public static RetryCall retryCall(String path) {
        Matcher retry = path == null ? null : RETRY_PATH.matcher(path);
        if (retry == null || !retry.matches()) {
            return null;
        }
        return retry.group(2) != null
                ? new RetryCall(JobType.EXTRACTION, "reextract", retry.group(2))
                : new RetryCall(JobType.EMBEDDING, "reindex", retry.group(3));
    }

    /**
     * One retry call read from its path: the type of job it retries, its name ({@code reextract} or
     * {@code reindex}) and the target still percent-encoded, not yet checked.
     */
    public record RetryCall(String jobType, String name, String rawTarget) {
    }

    private static String listingRefusal(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        Map<String, String> params = ListingQuery.parameters(rawQuery);
        if (rawQuery.split("&").length != params.size()) {
            return "a query parameter is repeated or empty";
        }
        for (Map.Entry<String, String> param : params.entrySet()) {
            String value = param.getValue();
            boolean ok = switch (param.getKey()) {
                case "targetId" -> DevanaId.isValid(value);
                case "type" -> JobStatus.isKnown(value);
                case "limit", "offset" -> value.matches("\\d{1,4}");
                default -> false;
            };
            if (!ok) {
                return LISTING_PARAMETERS.contains(param.getKey())
                        ? "query parameter " + param.getKey() + " has a value the API does not take"
                        : "a query parameter the API does not know";
            }
        }
        try {
            ListingQuery.of(params);
        } catch (ListingQuery.Refused e) {
            return e.getMessage();
        }
        return null;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return method + " " + path + (query == null ? "" : "?" + query);
    }
}
