package devana.jobs.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** {@code X-Devana-Signature: sha256=<hex HMAC-SHA256 of the raw body>}, checked in constant time. */
public final class WebhookSignature {

    public static final String HEADER = "X-Devana-Signature";
    private static final String PREFIX = "sha256=";
    private static final int HMAC_BYTES = 32;

    private final SecretKeySpec key;

    public WebhookSignature(String secret) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** Whether the header value signs exactly these bytes; a missing or malformed header does not. */
    public boolean verifies(byte[] body, String header) {
        byte[] given = decode(header);
        // the comparison always runs over 32 bytes, so its time says nothing about how much matched
        byte[] expected = hmac(body);
        return MessageDigest.isEqual(expected, given == null ? new byte[HMAC_BYTES] : given) && given != null;
    }

    /** The header value for a body, as a sender computes it. */
    public String sign(byte[] body) {
        return PREFIX + HexFormat.of().formatHex(hmac(body));
    }

    private byte[] hmac(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(body);
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
