package devana.jobs.contract;

import java.util.regex.Pattern;

/**
 * A job's type or status as the API writes it, or as a caller asks for one: printable ASCII, no space, not
 * empty, and no longer than its field allows. Anything else is not taken as one.
 */
public final class Token {

    private static final Pattern PRINTABLE = Pattern.compile("[\\x21-\\x7E]+");

    private Token() {
    }

    public static boolean isValid(String text, int maxLength) {
        return text != null && !text.isEmpty() && text.length() <= maxLength && PRINTABLE.matcher(text).matches();
    }
}
