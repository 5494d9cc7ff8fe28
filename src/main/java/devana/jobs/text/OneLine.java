package devana.jobs.text;

import java.net.SocketTimeoutException;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * How anything reaches a log line, an error column or a terminal: on one line, secrets masked
 * ({@link Secrets}), control characters escaped (a newline, an ANSI or OSC escape, a bidirectional override
 * from the API could otherwise forge lines or commands), and cut to a length.
 */
public final class OneLine {

    /** The most characters a failure takes in a line. */
    public static final int FAILURE_LENGTH = 300;

    private OneLine() {
    }

    /**
     * Why a call failed: an HTTP failure as its status (never the answer's body: it may be a whole HTML page),
     * a timeout as "timed out", anything else as the innermost cause's kind and message.
     */
    public static String of(Throwable failure) {
        if (failure == null) {
            return "unknown failure";
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof HttpOperationFailedException http) {
                return "HTTP " + http.getStatusCode();
            }
            if (cause instanceof SocketTimeoutException) {
                return "timed out";
            }
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return describe(root);
    }

    /** One throwable, not its causes: its kind and message. */
    public static String describe(Throwable failure) {
        String message = failure.getMessage();
        return printable(failure.getClass().getSimpleName() + (message == null ? "" : ": " + message), FAILURE_LENGTH);
    }

    /** The text with secrets masked and control characters escaped, cut after {@code max} characters. */
    public static String printable(String text, int max) {
        if (text == null) {
            return "(none)";
        }
        String masked = Secrets.mask(text);
        StringBuilder line = new StringBuilder(Math.min(masked.length(), max) + 16);
        int shown = 0;
        for (int i = 0; i < masked.length() && shown < max; i++, shown++) {
            char c = masked.charAt(i);
            if (c == '\n') {
                line.append("\\n");
            } else if (c == '\r') {
                line.append("\\r");
            } else if (c == '\t') {
                line.append("\\t");
            } else if (isControl(c)) {
                line.append(String.format("\\u%04x", (int) c));
            } else {
                line.append(c);
            }
        }
        if (masked.length() > max) {
            line.append("...(").append(masked.length()).append(" chars)");
        }
        return line.toString();
    }

    /** C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional formatting characters. */
    static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029
                || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F
                || c == 0x061C || c == 0xFEFF;
    }
}
