package devana.jobs.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The two ways a push may be signed, both HMAC-SHA256 with the webhook secret, both checked in constant time:
 * <ul>
 * <li>{@code X-Devana-Signature: sha256=<hex HMAC of the raw body>} (key: the secret's UTF-8 bytes);</li>
 * <li>the Standard Webhooks scheme (standardwebhooks.com), for senders that can timestamp:
 * {@code webhook-id}, {@code webhook-timestamp} (Unix seconds) and {@code webhook-signature:
 * v1,<base64 HMAC of "id.timestamp.body">} (several, space-separated, may be given while a key rotates).
 * The key is the secret's UTF-8 bytes, or the bytes it encodes when it has the scheme's {@code whsec_<base64>}
 * form. A timestamp more than {@link #TOLERANCE} from now is refused: a captured push cannot be replayed later.</li>
 * </ul>
 */
public final class WebhookSignature {

    public static final String HEADER = "X-Devana-Signature";
    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";
    public static final Duration TOLERANCE = Duration.ofMinutes(5);
    /** The shortest secret accepted: an HMAC key of fewer bytes can be guessed. */
    public static final int MIN_SECRET_BYTES = 16;

    private static final String PREFIX = "sha256=";
    private static final String STANDARD_KEY_PREFIX = "whsec_";
    private static final int HMAC_BYTES = 32;

    private final SecretKeySpec key;
    private final SecretKeySpec standardKey;

    public WebhookSignature(String secret) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.standardKey = new SecretKeySpec(standardKeyBytes(secret), "HmacSHA256");
    }

    /** Null when the secret may be used (or is unset), otherwise why not, to follow the setting's name. */
    public static String refusal(String secret) {
        if (secret == null) {
            return null;
        }
        if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
            return "is shorter than " + MIN_SECRET_BYTES + " bytes: use a long random value (e.g. openssl rand -hex 32)";
        }
        if (secret.startsWith(STANDARD_KEY_PREFIX)) {
            try {
                if (standardKeyBytes(secret).length < MIN_SECRET_BYTES) {
                    return "has the whsec_ form but encodes fewer than " + MIN_SECRET_BYTES + " bytes";
                }
            } catch (IllegalArgumentException e) {
                return "has the whsec_ form but what follows is not base64";
            }
        }
        return null;
    }

    /** Whether the X-Devana-Signature value signs exactly these bytes; a missing or malformed value does not. */
    public boolean verifies(byte[] body, String header) {
        byte[] given = decode(header);
        // the comparison always runs over 32 bytes, so its time says nothing about how much matched
        byte[] expected = hmac(key, body);
        return MessageDigest.isEqual(expected, given == null ? new byte[HMAC_BYTES] : given) && given != null;
    }

    /**
     * Null when the Standard Webhooks headers sign these bytes at a time within the tolerance of {@code now};
     * otherwise what is wrong with them (nothing of their values is repeated).
     */
    public String standardRefusal(byte[] body, String id, String timestamp, String signatures, Instant now) {
        if (id == null || id.isEmpty() || id.length() > 256 || timestamp == null || signatures == null) {
            return "missing webhook-id, webhook-timestamp or webhook-signature";
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            return "webhook-timestamp is not Unix seconds";
        }
        if (Math.abs(seconds - now.getEpochSecond()) > TOLERANCE.toSeconds()) {
            return "webhook-timestamp is more than " + TOLERANCE.toMinutes() + " minutes from now";
        }
        byte[] expected = hmac(standardKey, standardContent(id, timestamp.trim(), body));
        boolean matched = false;
        String[] candidates = signatures.trim().split(" +");
        for (int i = 0; i < candidates.length && i < 8; i++) {
            String candidate = candidates[i];
            if (!candidate.startsWith("v1,")) {
                continue;
            }
            byte[] given;
            try {
                given = Base64.getDecoder().decode(candidate.substring(3));
            } catch (IllegalArgumentException e) {
                continue;
            }
            matched |= given.length == HMAC_BYTES & MessageDigest.isEqual(expected, given);
        }
        return matched ? null : "webhook-signature does not sign this push (expected v1,<base64 HMAC-SHA256 of id.timestamp.body>)";
    }

    /** What the Standard Webhooks scheme signs: {@code id.timestamp.body}. */
    private static byte[] standardContent(String id, String timestamp, byte[] body) {
        byte[] head = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        byte[] content = new byte[head.length + body.length];
        System.arraycopy(head, 0, content, 0, head.length);
        System.arraycopy(body, 0, content, head.length, body.length);
        return content;
    }

    private static byte[] standardKeyBytes(String secret) {
        return secret.startsWith(STANDARD_KEY_PREFIX)
                ? Base64.getDecoder().decode(secret.substring(STANDARD_KEY_PREFIX.length()))
                : secret.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hmac(SecretKeySpec key, byte[] content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(content);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static byte[] decode(String header) {
        if (header == null) {
            return null;
        }
        String value = header.trim();
        if (!value.regionMatches(true, 0, PREFIX, 0, PREFIX.length()) || value.length() != PREFIX.length() + 2 * HMAC_BYTES) {
            return null;
        }
        try {
            return HexFormat.of().parseHex(value.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "WebhookSignature[HmacSHA256 ****]";
    }
}
