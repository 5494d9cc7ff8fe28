package devana.jobs.contract;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The query of a listing shaped like GET /v1/jobs, read the way jobs-api.md decides: the first value
 * of a repeated parameter wins, limit 1..100 (default 25), offset 0..1000 (default 0), anything else
 * answered 400 with the reason. The emulator answers with it, and so does our own GET /api/jobs.
 */
public record ListingQuery(int limit, int offset) {

    public static final int DEFAULT_LIMIT = 25;
    public static final int MAX_LIMIT = 100;
    public static final int MAX_OFFSET = 1000;

    /** The limit and offset of these parameters (see {@link #parameters}); a bad one is refused with the 400 message. */
    public static ListingQuery of(Map<String, String> params) {
        long limit = params.containsKey("limit") ? wholeNumber(params.get("limit")) : DEFAULT_LIMIT;
        if (limit < 1) {
            throw new Refused("limit must be a positive integer");
        }
        if (limit > MAX_LIMIT) {
            throw new Refused("limit must be <= " + MAX_LIMIT);
        }
        long offset = params.containsKey("offset") ? wholeNumber(params.get("offset")) : 0;
        if (offset < 0) {
            throw new Refused("offset must be a non-negative integer");
        }
        if (offset > MAX_OFFSET) {
            throw new Refused("offset must be <= " + MAX_OFFSET);
        }
        return new ListingQuery((int) limit, (int) offset);
    }

    /** The parameters of a raw (still encoded) query string, the first value of each name. */
    public static Map<String, String> parameters(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            params.putIfAbsent(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
        return params;
    }

    private static String decode(String part) {
        try {
            return URLDecoder.decode(part, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return part;
        }
    }

    /** The value as a non-negative number, Long.MAX_VALUE when too long to matter, -1 when not a number. */
    private static long wholeNumber(String value) {
        if (!value.matches("\\d+")) {
            return -1;
        }
        return value.length() > 18 ? Long.MAX_VALUE : Long.parseLong(value);
    }

    /** A query the API answers with 400; the message is the reason it gives. */
    public static final class Refused extends IllegalArgumentException {
        public Refused(String reason) {
            super(reason);
        }
    }
}
