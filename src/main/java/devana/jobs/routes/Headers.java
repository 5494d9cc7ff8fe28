package devana.jobs.routes;

/**
 * The names the Java beans and the YAML routes share: message headers the routes branch on or log, and
 * exchange properties that outlive a failed HTTP call (camel-http replaces the message, headers and all).
 * A route writes these names as text (`${header.jobChange}`); this class is where a bean takes them from,
 * and docs/architecture.md ("The header contract") says who sets each and who reads it.
 */
public final class Headers {

    private Headers() {
    }

    // --- whose it is (set by the account's poll, resend and webhook routes, from configuration only)
    /** Property: the name of the account (devana.accounts) the exchange's job belongs to. */
    public static final String ACCOUNT = "devanaAccount";

    /**
     * The exchange's account ({@link #ACCOUNT}), a checked account name; an exchange without one is a bug of the
     * routes, not data.
     */
    public static String account(org.apache.camel.Exchange exchange) {
        String account = exchange.getProperty(ACCOUNT, String.class);
        if (account == null) {
            throw new IllegalStateException("exchange without the " + ACCOUNT + " property: the route that began it must set it");
        }
        // checked here, by every bean before the retry decision's toD names direct:...-<account> with it
        if (!devana.jobs.contract.AccountName.isValid(account)) {
            throw new IllegalStateException("the " + ACCOUNT + " property is not an account name");
        }
        return account;
    }

    /** Header: "" for the default account, "NAME " for another: what the log lines put before "job". */
    public static final String ACCOUNT_LABEL = "accountLabel";

    /** Sets {@link #ACCOUNT_LABEL} from the exchange's account. */
    public static void labelAccount(org.apache.camel.Exchange exchange) {
        String account = account(exchange);
        exchange.getMessage().setHeader(ACCOUNT_LABEL, devana.jobs.contract.AccountName.DEFAULT.equals(account) ? "" : account + " ");
    }

    // --- a job, as dispatch sees it (set by JobLedger.observe, by RetryPolicy.resume for a resent retry)
    /** Header: the job's Devana id. */
    public static final String JOB_ID = "jobId";
    /** Header: the job's type as the API gave it (checked against the Devana id shape before it is routed on). */
    public static final String JOB_TYPE = "jobType";
    /** Header: PENDING, IN_PROGRESS, DONE or ERROR. */
    public static final String JOB_STATUS = "jobStatus";
    /** Header: the job's progress (0 to 100), or null. */
    public static final String JOB_PROGRESS = "jobProgress";
    /** Header: whether the job's type is one known today (JobType.KNOWN); false sends it to the "other type" route. */
    public static final String JOB_TYPE_KNOWN = "jobTypeKnown";
    /** Header: the job's target id (a Devana id, or an unsafe value never put in a URL unchecked). */
    public static final String TARGET_ID = "targetId";
    /** Header: the target id as a log line may show it (cut and escaped). */
    public static final String TARGET_LABEL = "targetLabel";
    /** Header: " (40%)", or empty, for the dispatch log line. */
    public static final String PROGRESS_LABEL = "progressLabel";
    /** Header and property: NEW, CHANGED, REFINED, UNCHANGED, STALE, REPLAY or INVALID (ChangeRules.Change). */
    public static final String JOB_CHANGE = "jobChange";
    /** Header: the status stored before this observation, or "(new)". */
    public static final String PREVIOUS_STATUS = "previousStatus";
    /** Header: where an observation came from: "webhook", or absent for a poll. */
    public static final String JOB_SOURCE = "jobSource";
    /** Header: why a job was skipped (jobChange INVALID). */
    public static final String INVALID_REASON = "invalidReason";
    /**
     * Header set with INVALID_REASON when the skip is to be logged now: empty, or how many skips were kept
     * quiet since the last line; absent while quiet.
     */
    public static final String INVALID_REPEATS = "invalidRepeats";
    /** Property: the job as a JobSnapshot (what the retry and the webhook answer read after an HTTP call). */
    public static final String JOB = "job";

    // --- a retry (set by RetryPolicy)
    /** Header: REQUEST, REJECTED, UNSUPPORTED, EXHAUSTED or NONE (RetryRules.Decision). */
    public static final String RETRY_DECISION = "retryDecision";
    /** Header: true when the API is asked first whether the retry exists already. */
    public static final String RETRY_VERIFY = "retryVerify";
    /** Header: the retry's attempt number for its (type, target). */
    public static final String RETRY_ATTEMPT = "retryAttempt";
    /** Header: devana.retry.max-attempts. */
    public static final String RETRY_MAX_ATTEMPTS = "retryMaxAttempts";
    /** Header: why the retry POST failed, in one line. */
    public static final String RETRY_FAILURE = "retryFailure";
    /** Header: the id of the job that shows a retry already made. */
    public static final String RETRY_FOUND_JOB = "retryFoundJob";

    // --- a poll cycle (set by PollPlanner, read by poll.camel.yaml)
    /** Property: the cycle's state (PollPlanner.Cycle). */
    public static final String POLL_CYCLE = "pollCycle";
    /** Property: true while the cycle has another request to send. */
    public static final String MORE_PAGES = "morePages";
    /** Property: the jobs of the page just read that the cycle had not seen yet, in the page's order. */
    public static final String POLL_PAGE_JOBS = "pollPageJobs";
    /** Property: the cycle's jobs, de-duplicated by id, once it ended. */
    public static final String POLL_JOBS = "pollJobs";
    /** Property: how many requests the cycle sent. */
    public static final String POLL_PAGES = "pollPages";
    /** Property: "full scan" or "incremental". */
    public static final String POLL_KIND = "pollKind";

    // --- a webhook push (set by WebhookReceiver)
    /** Header: ACCEPTED when the push goes on to dispatch; absent once it was answered. */
    public static final String WEBHOOK_VERDICT = "webhookVerdict";
    /** Property: the key of the push's delivery, claimed in the observation's transaction (replays). */
    public static final String WEBHOOK_DELIVERY = "webhookDelivery";

    // --- a failed cycle (set by FailureReport.classify, read by errors.camel.yaml)
    /** Header: api-status, api-unreachable, malformed-page, refused-request, database or other. */
    public static final String FAILURE_KIND = "failureKind";
    /** Header: the failure in one line. */
    public static final String FAILURE_LINE = "failureLine";
    /** Header: the environment variable of the API key of the failed cycle's account (what a 401 asks to check). */
    public static final String FAILURE_KEY_VARIABLE = "failureKeyVariable";
    /** Header: the HTTP status the API answered (api-status only). */
    public static final String FAILURE_STATUS = "failureStatus";
    /** Header: true when the failure is to be logged now, false while a repeat of it is kept quiet. */
    public static final String FAILURE_SAY = "failureSay";
    /** Header: empty, or how many like it were kept quiet since it was last said. */
    public static final String FAILURE_REPEATS = "failureRepeats";
}
