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
 * GET /api/events/parked?account=&limit=&offset=: the events the bus refused for good (ParkedEvents), oldest first,
 * each with its refusals and the bus's last reason; {@code total} counts them all. limit and offset as /api/jobs'
 * (ListingQuery).
 */
public class ParkedEventList {

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
        ListingQuery window;
        try {
            account = accounts.of(query);
            window = ListingQuery.of(query);
        } catch (ListingQuery.Refused | AccountFilter.Refused e) {
            answers.refuse(exchange.getMessage(), e.getMessage());
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("total", ParkedEvents.count(connection, account));
            answer.put("events", ParkedEvents.list(connection, account, window.offset(), window.limit()).stream()
                    .map(ParkedEvents.Parked::asMap).toList());
            answer.put("account", account);
            answers.reply(exchange.getMessage(), 200, answer);
        } catch (SQLException e) {
            answers.unavailable(exchange.getMessage(), e);
        }
    }
}
