package devana.jobs.views;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login that guards what people read (the dashboard and /api/*) when jobs.http.viewer-login is
 * set to "user:password": HTTP Basic, compared in constant time. Unset, those pages are open, as the
 * docs/http.md says. The webhook (signed) and /observe/* (probes, Prometheus) never ask for it.
 */
public class ViewerLogin {

    public static final String KEY = "jobs.http.viewer-login";
    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.http");
    private static final String REALM = "Basic realm=\"devana-jobs\", charset=\"UTF-8\"";

    private final byte[] expected;
    private final Counter refused;

    /** @param credentials "user:password", or null for no login */
    public ViewerLogin(String credentials, MeterRegistry metrics) {
        if (credentials != null) {
            int colon = credentials.indexOf(':');
            if (colon < 1 || colon == credentials.length() - 1) {
                throw new IllegalArgumentException(KEY + " (JOBS_HTTP_VIEWER_LOGIN) must be user:password, "
                        + "both non-empty, the user without ':'");
            }
        }
        this.expected = credentials == null ? null : credentials.getBytes(StandardCharsets.UTF_8);
        this.refused = Counter.builder("devana.viewer.logins.refused")
                .description("requests to the dashboard or /api refused for a missing or wrong login").register(metrics);
    }

    /** Whether this request must be answered 401: a login is configured and the request does not carry it. */
    public boolean refuses(Exchange exchange) {
        if (expected == null) {
            return false;
        }
        String header = exchange.getMessage().getHeader("Authorization", String.class);
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            refused.increment();
            return true;
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(header.substring(6).trim());
        } catch (IllegalArgumentException e) {
            given = new byte[0];
        }
        if (MessageDigest.isEqual(expected, given)) {
            return false;
        }
        refused.increment();
        LOG.warn("viewer login refused ({}): wrong user or password", exchange.getFromRouteId());
        return true;
    }

    /** The 401 that makes a browser ask for the login. */
    public void askForLogin(Exchange exchange) {
        Message message = exchange.getMessage();
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, 401);
        message.setHeader("WWW-Authenticate", REALM);
        message.setHeader(Exchange.CONTENT_TYPE, "text/plain; charset=utf-8");
        message.setBody("login required (jobs.http.viewer-login)\n");
    }
}
