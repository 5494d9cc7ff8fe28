package devana.jobs.errors;

import devana.jobs.client.DevanaApiClient;
import devana.jobs.client.MalformedPageException;
import devana.jobs.routes.Headers;
import devana.jobs.text.OneLine;
import devana.jobs.text.RepeatedFailures;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.SQLException;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.springframework.dao.DataAccessException;

/**
 * Says what made a cycle fail, in one line an operator can act on ({@link OneLine}), and counts it. The
 * cause chain is read from the top: a database failure whose root is a refused socket is a database
 * failure, not an unreachable API (Camel's onException would match the root cause first). A failure that
 * repeats is said once a minute with a count ({@link RepeatedFailures}), but always counted.
 */
public class FailureReport {

    private final MeterRegistry metrics;
    private final RepeatedFailures repeats;
    private final Map<String, String> keyVariables;

    /** @param keyVariables the environment variable that gives each account's API key, by account (what a 401 names) */
    public FailureReport(MeterRegistry metrics, RepeatedFailures repeats, Map<String, String> keyVariables) {
        this.metrics = metrics;
        this.repeats = repeats;
        this.keyVariables = Map.copyOf(keyVariables);
    }

    /** The exchange's failure in one line (see {@link OneLine#of}). */
    public String rootCause(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        return OneLine.of(failure == null ? exchange.getException() : failure);
    }

    public void classify(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String kind = "other";
        Integer status = null;
        String line = failure == null ? "unknown failure" : OneLine.describe(failure);
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SQLException || cause instanceof DataAccessException) {
                kind = "database";
                line = "database unavailable: " + OneLine.printable(cause.getMessage(), OneLine.FAILURE_LENGTH);
                break;
            }
            if (cause instanceof HttpOperationFailedException http) {
                kind = "api-status";
                status = http.getStatusCode();
                line = "the Devana API answered HTTP " + http.getStatusCode();
                break;
            }
            if (cause instanceof MalformedPageException || cause instanceof DevanaApiClient.AnswerTooLargeException) {
                kind = "malformed-page";
                line = OneLine.printable(cause.getMessage(), OneLine.FAILURE_LENGTH);
                break;
            }
            if (cause instanceof DevanaApiClient.OffContractRequestException) {
                kind = "refused-request";
                line = OneLine.printable(cause.getMessage(), OneLine.FAILURE_LENGTH);
                break;
            }
            if (cause instanceof IOException) {
                kind = "api-unreachable";
                line = "cannot reach the Devana API: " + OneLine.describe(cause);
                break;
            }
        }
        String account = exchange.getProperty(Headers.ACCOUNT, String.class);
        metrics.counter("devana.cycle.failures", "account", account == null ? "none" : account, "kind", kind).increment();
        String repeat = repeats.say(exchange.getFromRouteId() + "|" + kind + "|" + status);
        exchange.getMessage().setHeader(Headers.FAILURE_KIND, kind);
        exchange.getMessage().setHeader(Headers.FAILURE_KEY_VARIABLE,
                account == null ? "the API key" : keyVariables.getOrDefault(account, "the API key"));
        exchange.getMessage().setHeader(Headers.FAILURE_STATUS, status);
        exchange.getMessage().setHeader(Headers.FAILURE_SAY, repeat != null);
        exchange.getMessage().setHeader(Headers.FAILURE_REPEATS, repeat == null ? "" : repeat);
        exchange.getMessage().setHeader(Headers.FAILURE_LINE, line);
    }
}
