package devana.jobs.errors;

import devana.jobs.api.MalformedPageException;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.SQLException;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.springframework.dao.DataAccessException;

/**
 * Says what made a cycle fail, in one line an operator can act on, and counts it. The cause chain is
 * read from the top: a database failure whose root is a refused socket is a database failure, not
 * an unreachable API (Camel's onException would match the root cause first).
 */
public class FailureReport {

    /** Header with the kind: api-status, api-unreachable, malformed-page, database or other. */
    public static final String KIND = "failureKind";
    /** Header with the one line to log. */
    public static final String LINE = "failureLine";
    /** Header with the HTTP status the API answered (api-status only; absent otherwise). */
    public static final String STATUS = "failureStatus";

    private final MeterRegistry metrics;

    public FailureReport(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    /** The innermost cause of the exchange's failure, in one line (Camel wraps it in its own exceptions). */
    public String rootCause(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure == null) {
            failure = exchange.getException();
        }
        if (failure == null) {
            return "unknown failure";
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String line = root.getClass().getSimpleName() + ": " + root.getMessage();
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }

    public void classify(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String kind = "other";
        Integer status = null;
        String line = failure == null ? "unknown failure" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SQLException || cause instanceof DataAccessException) {
                kind = "database";
                line = "database unavailable: " + cause.getMessage();
                break;
            }
            if (cause instanceof HttpOperationFailedException http) {
                kind = "api-status";
                status = http.getStatusCode();
                line = "the Devana API answered HTTP " + http.getStatusCode();
                break;
            }
            if (cause instanceof MalformedPageException) {
                kind = "malformed-page";
                line = cause.getMessage();
                break;
            }
            if (cause instanceof IOException) {
                kind = "api-unreachable";
                line = "cannot reach the Devana API: " + cause.getClass().getSimpleName() + ": " + cause.getMessage();
                break;
            }
        }
        metrics.counter("devana.cycle.failures", "kind", kind).increment();
        exchange.getMessage().setHeader(KIND, kind);
        exchange.getMessage().setHeader(STATUS, status);
        exchange.getMessage().setHeader(LINE, line.length() > 500 ? line.substring(0, 500) + "..." : line);
    }
}
