package devana.jobs.text;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The secrets this process was given (the API key, the webhook secret, the database password, the viewer
 * login's password), remembered at startup so that any text about to leave the process can be masked:
 * a log line, an error stored in the database, an answer of /api/*. Errors thrown by Camel, the HTTP client
 * or a driver may quote a URL or a value; {@link #mask} takes the secret out, as typed and percent-encoded.
 */
public final class Secrets {

    public static final String MASK = "****";
    /** Shorter values are not masked: they would turn ordinary words into stars. */
    private static final int SHORTEST = 6;
    private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();

    private Secrets() {
    }

    /** Remembers a secret (null or blank is ignored). */
    public static void remember(String secret) {
        if (secret == null || secret.isBlank() || secret.length() < SHORTEST) {
            return;
        }
        KNOWN.add(secret);
        String encoded = URLEncoder.encode(secret, StandardCharsets.UTF_8);
        if (!encoded.equals(secret)) {
            KNOWN.add(encoded);
        }
    }

    /** The text with every remembered secret replaced by {@value #MASK}; null stays null. */
    public static String mask(String text) {
        if (text == null || KNOWN.isEmpty()) {
            return text;
        }
        String masked = text;
        for (String secret : KNOWN) {
            if (masked.contains(secret)) {
                masked = masked.replace(secret, MASK);
            }
        }
        return masked;
    }
}
