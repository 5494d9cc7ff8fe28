package devana.jobs.views;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.text.OneLine;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How /api/* answers: JSON, no header of the request's, never cached; a 400 or a 503 with its reason. */
final class ApiAnswers {

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.api");

    private final ObjectMapper mapper;

    ApiAnswers(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    void refuse(Message message, String reason) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("success", false);
        answer.put("error", reason);
        reply(message, 400, answer);
    }

    void unavailable(Message message, SQLException e) {
        LOG.warn("/api answer failed: database unavailable: {}", OneLine.printable(e.getMessage(), OneLine.FAILURE_LENGTH));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("success", false);
        answer.put("error", "database unavailable");
        reply(message, 503, answer);
    }

    void reply(Message message, int status, Object answer) {
        try {
            message.setBody(mapper.writeValueAsString(answer));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise an /api answer", e);
        }
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setHeader("Cache-Control", "no-store");
    }
}
