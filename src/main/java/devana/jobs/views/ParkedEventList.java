package devana.jobs.views;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.contract.ListingQuery;
import devana.jobs.events.ParkedEvents;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.Exchange;

/**
 * GET /api/events/parked?account=&limit=: the events the bus refused for good (ParkedEvents), oldest first, each
 * with its refusals and the bus's last reason; {@code total} counts them all. limit 1..100, default 25.
 */
public class ParkedEventList {

    private static final int DEFAULT_LIMIT = 25;
    private static final int MAX_LIMIT = 100;

    private final DataSource dataSource;
    private final AccountFilter accounts;
    private final ApiAnswers answers;

    public ParkedEventList(DataSource dataSource, ObjectMapper mapper, AccountFilter accounts) {
        this.dataSource = dataSource;
        this.accounts = accounts;
        this.answers = new ApiAnswers(mapper);
    }

    public void list(Exchange exchange) {
        Map<String, String> query = ListingQuery.parameters(exchange.getMessage().getHeader(Exchange.HTTP_QUERY, String.class));
        String account;
        try {
            account = accounts.of(query);
        } catch (AccountFilter.Refused e) {
            answers.refuse(exchange.getMessage(), e.getMessage());
            return;
        }
        int limit = DEFAULT_LIMIT;
        String asked = query.get("limit");
        if (asked != null) {
            if (!asked.matches("[0-9]{1,3}") || Integer.parseInt(asked) < 1 || Integer.parseInt(asked) > MAX_LIMIT) {
                answers.refuse(exchange.getMessage(), "limit must be 1 to " + MAX_LIMIT);
                return;
            }
            limit = Integer.parseInt(asked);
        }
        try (Connection connection = dataSource.getConnection()) {
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("total", ParkedEvents.count(connection, account));
            answer.put("events", ParkedEvents.list(connection, account, limit).stream().map(ParkedEvents.Parked::asMap).toList());
            answer.put("account", account);
            answers.reply(exchange.getMessage(), 200, answer);
        } catch (SQLException e) {
            answers.unavailable(exchange.getMessage(), e);
        }
    }
}
