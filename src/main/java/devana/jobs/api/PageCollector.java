package devana.jobs.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;

/**
 * Pages through GET /v1/jobs in one poll cycle: limit=100, offset 0, 100, ... until a short page or
 * the API's offset cap of 1000. Pages shift while they are read (a new job pushes every older one
 * down), so jobs are de-duplicated by id within the cycle, first sighting kept.
 *
 * <p>The route drives the loop; this bean keeps the cycle's state in exchange properties:
 * {@code nextOffset}, {@code morePages}, {@code pollJobs}, {@code pollPages}.
 */
public class PageCollector {

    public static final int PAGE_SIZE = 100;
    public static final int MAX_OFFSET = 1000;

    private final ObjectMapper mapper;

    public PageCollector(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public void begin(Exchange exchange) {
        exchange.setProperty("nextOffset", 0);
        exchange.setProperty("morePages", true);
        exchange.setProperty("pollPages", 0);
        exchange.setProperty("pollSeen", new LinkedHashMap<String, Object>());
    }

    /** Takes the page in the body and says (property morePages) whether to ask for the next one. */
    public void accept(Exchange exchange) {
        int offset = exchange.getProperty("nextOffset", Integer.class);
        List<?> jobs = parse(exchange.getMessage().getBody(String.class), offset);
        @SuppressWarnings("unchecked")
        Map<String, Object> seen = exchange.getProperty("pollSeen", Map.class);
        for (Object job : jobs) {
            Object id = job instanceof Map<?, ?> map ? map.get("id") : null;
            String key = id instanceof String text ? text : "#unreadable-" + seen.size();
            seen.putIfAbsent(key, job);
        }
        int next = offset + PAGE_SIZE;
        exchange.setProperty("pollPages", exchange.getProperty("pollPages", Integer.class) + 1);
        exchange.setProperty("nextOffset", next);
        exchange.setProperty("morePages", jobs.size() >= PAGE_SIZE && next <= MAX_OFFSET);
        if (!exchange.getProperty("morePages", Boolean.class)) {
            exchange.setProperty("pollJobs", new ArrayList<>(seen.values()));
        }
    }

    private List<?> parse(String body, int offset) {
        if (body == null || body.isBlank()) {
            throw new MalformedPageException("empty page at offset " + offset);
        }
        Object page;
        try {
            page = mapper.readValue(body, Object.class);
        } catch (JsonProcessingException e) {
            throw new MalformedPageException("page at offset " + offset + " is not JSON ("
                    + e.getOriginalMessage() + ")", e);
        }
        if (!(page instanceof Map<?, ?> map) || !Boolean.TRUE.equals(map.get("success"))
                || !(map.get("data") instanceof List<?> data)) {
            throw new MalformedPageException("page at offset " + offset + " is not {\"success\":true,\"data\":[...]}");
        }
        return data;
    }
}
