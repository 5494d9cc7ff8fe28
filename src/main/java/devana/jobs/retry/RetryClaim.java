package devana.jobs.retry;

import devana.jobs.contract.ApiRequest;
import java.time.Instant;

/**
 * A retry this instance is about to send, as it was claimed in job_retries: the failed job, and the type
 * and target the decision was made for. The request is built from these and nothing else, so a later
 * sighting of the job (a poll, a push) that shows another target or type cannot redirect it.
 *
 * @param verify     whether the API is asked first if the retry exists already (see RetryPolicy)
 * @param newerThan  a job of this type and target created at or after this instant is the retry, or null
 * @param traceparent the trace of the job change the failure was seen in (JobTraces), or null
 */
public record RetryClaim(String failedJobId, String jobType, String targetId, Integer attempt, boolean verify,
                         Instant newerThan, String traceparent) {

    /** POST /v1/documents/{target}/reextract or /v1/folders/{target}/reindex. */
    public ApiRequest post() {
        return ApiRequest.retry(jobType, targetId);
    }

    /** GET /v1/jobs?targetId={target}&limit=100: whether a newer job of the type shows the retry was made. */
    public ApiRequest lookUp() {
        return ApiRequest.jobsOfTarget(targetId);
    }
}
