package devana.jobs.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.ListingQuery;
import devana.jobs.text.OneLine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The answer of GET /v1/jobs, {"success":true,"data":[...]}, read for every caller of that endpoint. */
public final class JobsPage {

    private JobsPage() {
    }

    /**
     * Reads {"success":true,"data":[...]} as a stream and stops at the job after the 100th: an oversized
     * page costs the memory of 101 jobs, not of the whole page (the app runs in a small heap).
     */
    public static List<Object> read(ObjectMapper mapper, String body, String request) {
        String answer = "answer to " + request;
        if (body == null || body.isBlank()) {
            throw new MalformedPageException("empty " + answer);
        }
        boolean success = false;
        List<Object> data = null;
        try (JsonParser parser = mapper.getFactory().createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedPageException(answer + " is not {\"success\":true,\"data\":[...]}");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("data".equals(field) && value == JsonToken.START_ARRAY) {
                    data = new ArrayList<>();
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        if (data.size() == ListingQuery.MAX_LIMIT) {
                            throw new MalformedPageException(answer + " has more jobs than the limit of " + ListingQuery.MAX_LIMIT);
                        }
                        data.add(mapper.readValue(parser, Object.class));
                    }
                } else {
                    if ("success".equals(field)) {
                        success = value == JsonToken.VALUE_TRUE;
                    }
                    parser.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            throw new MalformedPageException(answer + " is not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new MalformedPageException(answer + " cannot be read (" + OneLine.describe(e) + ")", e);
        }
        if (!success || data == null) {
            throw new MalformedPageException(answer + " is not {\"success\":true,\"data\":[...]}");
        }
        return data;
    }
}
