package devana.jobs.contract;

import java.util.regex.Pattern;

/**
 * What a Devana id (a job's, a target's) may be before it goes into a request: {@code ^[A-Za-z0-9_-]{1,128}$}
 * (docs/jobs-api.md). Ids come from the API and from webhook pushes, so nothing else is ever sent.
 */
public final class DevanaId {

    public static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    public static final int MAX_LENGTH = 128;

    private DevanaId() {
    }

    public static boolean isValid(String id) {
        return id != null && PATTERN.matcher(id).matches();
    }

    /** The id itself when valid; otherwise an {@link IllegalArgumentException} that does not repeat it. */
    public static String require(String id, String what) {
        if (!isValid(id)) {
            throw new IllegalArgumentException(what + " is not a Devana id (letters, digits, _ and -, at most "
                    + MAX_LENGTH + ")");
        }
        return id;
    }
}
