package devana.jobs.retry;

import devana.jobs.contract.DevanaId;
import devana.jobs.contract.JobType;
import devana.jobs.pacing.ExponentialBackoff;
import devana.jobs.state.JobSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * The retry rules, without a database: what a failed job deserves, how long a POST that did not go
 * through waits, and whether the jobs of a target show that a retry was already made.
 */
public final class RetryRules {

    public enum Decision { REQUEST, REJECTED, UNSUPPORTED, EXHAUSTED, NONE }

    /** A FAILED retry POST waits 2 s, 4 s, 8 s ... at most 5 min before it is sent again. */
    static final ExponentialBackoff RESEND = ExponentialBackoff.exact(Duration.ofSeconds(2), Duration.ofMinutes(5));

    private final int maxAttempts;

    public RetryRules(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * What a failed job deserves, given the accepted or pending retries already used for its (type, target):
     * REJECTED when its target is not safe in a URL, UNSUPPORTED when the API has no retry call for its type,
     * EXHAUSTED after {@code maxAttempts}, else REQUEST.
     */
    public Decision decide(JobSnapshot job, int usedAttempts) {
        if (!job.safeTarget()) {
            return Decision.REJECTED;
        }
        if (!JobType.hasRetryCall(job.type())) {
            return Decision.UNSUPPORTED;
        }
        return usedAttempts >= maxAttempts ? Decision.EXHAUSTED : Decision.REQUEST;
    }

    /** Whether a claim read back from the database may still be sent: a Devana id target, a type with a retry call. */
    public static boolean mayBeSent(String jobType, String targetId) {
        return DevanaId.isValid(targetId) && JobType.hasRetryCall(jobType);
    }

    /** How long the {@code tries}-th try of a POST waits before the next one. */
    public static Duration resendAfter(int tries) {
        return RESEND.after(tries);
    }

    /**
     * The failure of a job older than this process: an earlier run may have retried it and lost its claim in
     * a crash, so the retry job, if any, was created after the failure. Null when it is not older.
     */
    public static Instant failedBefore(JobSnapshot job, Instant startedAt) {
        Instant failedAt = job.updatedAt() != null ? job.updatedAt() : job.createdAt();
        return failedAt != null && failedAt.isBefore(startedAt) ? failedAt : null;
    }

    /**
     * The id of a job among {@code jobs} (a target's jobs, as the API listed them) that shows the claim's
     * retry was made: same type and target, another valid id, created at or after the claim's
     * {@code newerThan}. Null when none does.
     */
    public static String retryAlreadyMade(RetryClaim claim, List<?> jobs) {
        Instant after = claim.newerThan() == null ? Instant.MAX : claim.newerThan();
        String found = null;
        for (Object candidate : jobs) {
            if (candidate instanceof Map<?, ?> other && claim.jobType().equals(other.get("type"))
                    && claim.targetId().equals(other.get("targetId")) && other.get("id") instanceof String id
                    && DevanaId.isValid(id) && !claim.failedJobId().equals(id)
                    && other.get("createdAt") instanceof String created && !createdBefore(created, after)) {
                found = id;
            }
        }
        return found;
    }

    private static boolean createdBefore(String created, Instant after) {
        try {
            return Instant.parse(created).isBefore(after);
        } catch (DateTimeParseException notADate) {
            return true; // not a usable date: not evidence of an accepted retry
        }
    }
}
