package devana.jobs.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a job from the API is kept in the tables and sent in events: as the API gave it, up to
 * {@link #MAX_JOB_CHARS} characters of JSON. A bigger job (a runaway metadata, a hostile page) is kept in a
 * safe form instead of failing its insert in every cycle: strings cut to {@link #MAX_STRING_CHARS}, arrays to
 * {@link #MAX_ARRAY_ITEMS} items, nesting to {@link #MAX_DEPTH} levels; and if that is still too big, only
 * the fields of the API's Job object. Either way the job's id, type, status and times are kept, so change
 * detection, completions and retries work as for any job. The same cutting shortens what /api/* shows.
 */
public final class StoredForm {

    /** 256 Ki characters: a job of the API is about 1 KiB; the columns hold 1,000,000; a bus takes ~1 MB. */
    public static final int MAX_JOB_CHARS = 256 * 1024;
    public static final int MAX_STRING_CHARS = 4096;
    public static final int MAX_ARRAY_ITEMS = 100;
    public static final int MAX_DEPTH = 16;
    /** The fields of the API's Job object (docs/jobs-api.md): what the last resort keeps. */
    private static final List<String> JOB_FIELDS = List.of("id", "userId", "targetId", "type", "status", "progress",
            "error", "startedAt", "completedAt", "createdAt", "updatedAt");

    private StoredForm() {
    }

    /** A job's JSON as stored: the text, the map it was written from, and whether it had to be cut. */
    public record Stored(String json, Map<String, Object> job, boolean cut) {
    }

    /** The job as it is when its JSON fits, else its safe form. */
    public static Stored of(Map<String, Object> job, ObjectMapper mapper) {
        String json = write(mapper, job);
        if (json.length() <= MAX_JOB_CHARS) {
            return new Stored(json, job, false);
        }
        Map<String, Object> shortened = shortened(job, MAX_STRING_CHARS, MAX_ARRAY_ITEMS);
        json = write(mapper, shortened);
        if (json.length() <= MAX_JOB_CHARS) {
            return new Stored(json, shortened, true);
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (String field : JOB_FIELDS) {
            Object value = shortened.get(field);
            if (value == null || value instanceof Map || value instanceof List) {
                continue;
            }
            fields.put(field, value);
        }
        return new Stored(write(mapper, fields), fields, true);
    }

    /**
     * A copy of the map with strings over {@code maxChars} cut (their start and "...(N chars)"), arrays cut
     * to {@code maxItems} items, and anything deeper than {@link #MAX_DEPTH} replaced by "(nested too deep)".
     */
    public static Map<String, Object> shortened(Map<String, Object> map, int maxChars, int maxItems) {
        @SuppressWarnings("unchecked")
        Map<String, Object> copy = (Map<String, Object>) cut(map, maxChars, maxItems, 0);
        return copy;
    }

    /** SHA-256 of the text, in hex: how an unbounded value (a hostile target id) is keyed or told apart. */
    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 of the bytes, in hex (a webhook push's delivery key). */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The text itself up to {@code maxChars} characters, else its start and "...(N chars)". */
    public static String cut(String text, int maxChars) {
        return text == null || text.length() <= maxChars ? text : text.substring(0, maxChars) + "...(" + text.length() + " chars)";
    }

    private static Object cut(Object value, int maxChars, int maxItems, int depth) {
        if (value instanceof String text) {
            return cut(text, maxChars);
        }
        if (value instanceof Map<?, ?> map) {
            if (depth >= MAX_DEPTH) {
                return "(nested too deep)";
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((key, item) -> copy.put(String.valueOf(cut(String.valueOf(key), maxChars, maxItems, depth)),
                    cut(item, maxChars, maxItems, depth + 1)));
            return copy;
        }
        if (value instanceof List<?> list) {
            if (depth >= MAX_DEPTH) {
                return "(nested too deep)";
            }
            List<Object> copy = new ArrayList<>();
            for (int i = 0; i < list.size() && i < maxItems; i++) {
                copy.add(cut(list.get(i), maxChars, maxItems, depth + 1));
            }
            if (list.size() > maxItems) {
                copy.add("...(" + list.size() + " items)");
            }
            return copy;
        }
        return value;
    }

    private static String write(ObjectMapper mapper, Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a job", e);
        }
    }
}
