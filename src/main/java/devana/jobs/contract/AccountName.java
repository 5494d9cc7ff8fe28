package devana.jobs.contract;

import java.util.regex.Pattern;

/**
 * The name of a Devana account served by this deployment (devana.accounts): lower-case letters and digits,
 * words joined by '-', 1 to 24 characters, starting with a letter. It becomes part of what only configuration
 * may name: a leadership group and Kubernetes Lease name, a route id, a registry bean name, a webhook path, an
 * environment variable ({@link #variablePart}), a metric label and an event attribute, so nothing else is
 * accepted; a name from a request is only ever compared with the configured ones.
 */
public final class AccountName {

    /** The account whose keys are today's single-account ones (devana.base-url, DEVANA_API_KEY ...). */
    public static final String DEFAULT = "default";
    public static final int MAX_LENGTH = 24;
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

    private AccountName() {
    }

    public static boolean isValid(String name) {
        return name != null && name.length() <= MAX_LENGTH && NAME.matcher(name).matches();
    }

    /** The name as it appears in an environment variable: DEVANA_ACCOUNTS_{this}_API_KEY. */
    public static String variablePart(String name) {
        return name.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    }
}
