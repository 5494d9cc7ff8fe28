package devana.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.Map;

public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /** The value as a JSON text (a string quoted and escaped). */
    public static String quote(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, Object> read(String json) {
        try {
            return MAPPER.readValue(json, new TypeReference<>() { });
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
