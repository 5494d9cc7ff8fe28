package devana.jobs.state;

import devana.jobs.contract.JobStatus;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** The rules of change detection: what one observation of a job is, against the state stored for it. No database here. */
public final class ChangeRules {

    private ChangeRules() {
    }

    /** What an observation is; REPLAY is decided before (a push accepted before), the others here. */
    public enum Change { NEW, CHANGED, REFINED, UNCHANGED, STALE, REPLAY }

    /**
     * The fingerprints of the API's own states (a known status, with no progress or 0 to 100), made once: the cache of
     * what was last seen of each job holds these shared instances, not one string per job.
     */
    private static final Map<String, String[]> KNOWN_FINGERPRINTS = JobStatus.KNOWN.stream().collect(Collectors.toUnmodifiableMap(
            status -> status, status -> IntStream.rangeClosed(-1, 100)
                    .mapToObj(p -> status + "|" + (p < 0 ? "" : Integer.toString(p))).toArray(String[]::new)));

    /** The state stored for a job: its status, progress and the API's updatedAt (each may be null but the status). */
    public record Stored(String status, Integer progress, Instant updatedAt) {
        String fingerprint() {
            return ChangeRules.fingerprint(status, progress);
        }
    }

    /** What change detection compares: a job changed when its status or its progress did (see {@link #judge}). */
    static String fingerprint(String status, Integer progress) {
        String[] known = KNOWN_FINGERPRINTS.get(status);
        if (known != null && (progress == null || (progress >= 0 && progress <= 100))) {
            return known[progress == null ? 0 : progress + 1];
        }
        return status + "|" + (progress == null ? "" : progress);
    }

    /**
     * What an observation is, against the stored state ({@code null}: none), by the rules of change detection:
     * <ul>
     * <li>a status that does not follow the stored one ({@link JobStatus#mayFollow}: PENDING, IN_PROGRESS, then
     *     DONE or ERROR, nothing after those): STALE, whatever its time (a late push, a page read before a push
     *     was recorded);</li>
     * <li>same status, and the same progress or none given: UNCHANGED (a push carries no progress, so a push
     *     of the state a poll already saw, or the reverse, is the same state); if it fills in the progress or
     *     time the stored row lacks: REFINED, the row is completed without an event;</li>
     * <li>older than the stored observation (both timed): STALE;</li>
     * <li>otherwise NEW or CHANGED: row, completion and event.</li>
     * </ul>
     */
    public static Change judge(Stored stored, JobSnapshot job) {
        if (stored == null) {
            return Change.NEW;
        }
        if (!JobStatus.mayFollow(stored.status(), job.status())) {
            return Change.STALE;
        }
        if (stored.status().equals(job.status())
                && (job.progress() == null || stored.progress() == null || job.progress().equals(stored.progress()))) {
            boolean fillsIn = (stored.progress() == null && job.progress() != null)
                    || (stored.updatedAt() == null && job.updatedAt() != null);
            return fillsIn ? Change.REFINED : Change.UNCHANGED;
        }
        if (stored.updatedAt() != null && job.updatedAt() != null && job.updatedAt().isBefore(stored.updatedAt())) {
            return Change.STALE;
        }
        return Change.CHANGED;
    }
}
