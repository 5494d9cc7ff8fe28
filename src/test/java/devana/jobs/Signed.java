package devana.jobs;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Signs webhook pushes as a sender does, independently of the app's own code. */
public final class Signed {

    private Signed() {
    }

    /** The X-Devana-Signature value of a body: sha256=<hex HMAC-SHA256>. */
    public static String devana(String secret, byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(hmac(secret.getBytes(StandardCharsets.UTF_8), body));
    }

    /** The Standard Webhooks signature (v1,<base64 HMAC-SHA256 of id.timestamp.body>) with the secret's bytes as key. */
    public static String standard(String secret, String id, long timestamp, byte[] body) {
        byte[] head = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        byte[] content = new byte[head.length + body.length];
        System.arraycopy(head, 0, content, 0, head.length);
        System.arraycopy(body, 0, content, head.length, body.length);
        return "v1," + java.util.Base64.getEncoder().encodeToString(hmac(secret.getBytes(StandardCharsets.UTF_8), content));
    }

    public static byte[] hmac(byte[] key, byte[] content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(content);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
