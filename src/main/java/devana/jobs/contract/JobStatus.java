package devana.jobs.contract;

import java.util.List;
import java.util.Set;

/**
 * The statuses GET /v1/jobs shows and the one order they follow: PENDING, then IN_PROGRESS, then DONE or
 * ERROR, both final (KILLED exists but is never shown; a retry is a new job). A status the API may add one
 * day has no rank: it is neither before nor after the others.
 */
public final class JobStatus {

    public static final String PENDING = "PENDING";
    public static final String IN_PROGRESS = "IN_PROGRESS";
    public static final String DONE = "DONE";
    public static final String ERROR = "ERROR";
    /** A job cancelled on the vendor's side: it exists, but the listing never shows it. */
    public static final String KILLED = "KILLED";

    /** The statuses of the API, in their order; also the values of its {@code type} filter. */
    public static final List<String> KNOWN = List.of(PENDING, IN_PROGRESS, DONE, ERROR);
    private static final Set<String> FINAL = Set.of(DONE, ERROR);

    private JobStatus() {
    }

    public static boolean isKnown(String status) {
        return status != null && KNOWN.contains(status);
    }

    /** Whether the word names a status of the API at all, KILLED included (a caller mistaking a status for a type). */
    public static boolean isStatusName(String word) {
        return isKnown(word) || KILLED.equals(word);
    }

    public static boolean isFinal(String status) {
        return FINAL.contains(status);
    }

    /**
     * Whether a job last seen {@code stored} may now be {@code observed}: the same status, or a later one.
     * Nothing follows a final status; an unknown status may follow or precede any status but a final one.
     */
    public static boolean mayFollow(String stored, String observed) {
        if (stored.equals(observed)) {
            return true;
        }
        if (isFinal(stored)) {
            return false;
        }
        if (!isKnown(stored) || !isKnown(observed)) {
            return true;
        }
        return rank(observed) > rank(stored);
    }

    private static int rank(String status) {
        return isFinal(status) ? 2 : KNOWN.indexOf(status);
    }
}
