package devana.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.Map;

public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    public static Map<String, Object> read(String json) {
        try {
            return MAPPER.readValue(json, new TypeReference<>() { });
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
