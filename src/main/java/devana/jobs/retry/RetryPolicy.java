package devana.jobs.retry;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.client.JobsPage;
import devana.jobs.client.MalformedPageException;
import devana.jobs.contract.MetricTags;
import devana.jobs.events.CloudEvents;
import devana.jobs.retry.RetryClaims.Claimed;
import devana.jobs.retry.RetryClaims.DueRetry;
import devana.jobs.retry.RetryClaims.Resumed;
import devana.jobs.retry.RetryRules.Decision;
import devana.jobs.routes.Headers;
import devana.jobs.state.InvalidJobException;
import devana.jobs.state.JobSnapshot;
import devana.jobs.state.RecentlySeen;
import devana.jobs.state.Transactions;
import devana.jobs.text.OneLine;
import devana.jobs.traces.JobTraces;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retry routes' bean: decides what to do with a failed job, exactly once per failed job id. The
 * decision ({@link RetryRules}) is claimed as a unique row in job_retries ({@link RetryClaims}) before
 * anything is sent, so neither a restart nor a second instance repeats it. A POST that did not go through
 * stays FAILED and is sent again on a later cycle until the API accepts it (then REQUESTED). The claim
 * pins the type and target the decision was made for ({@link RetryClaim}); every request of the retry is
 * built from it.
 * <p>
 * Where the database may not know of an earlier POST, the API is asked first ({@link #verify}): a
 * claim with no answer recorded (the app died mid-POST, or the POST timed out), and a first claim for
 * a failure older than this process (an earlier run may have sent its retry and died before its claim
 * reached the disk: H2 writes commits up to a second late). A newer job of the same type for the same
 * target means the retry was already made.
 */
public class RetryPolicy {

    /** Exchange property: the {@link RetryClaim} being sent. */
    public static final String CLAIM = "retryClaim";

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.retry");
    private static final int SETTLED_CACHE = 50_000;

    private final RetryRules rules;
    private final RetryClaims claims;
    private final ObjectMapper mapper;
    private final MeterRegistry metrics;
    private final Instant startedAt;
    private final JobTraces traces;
    /** Failed jobs whose decision is final, so that a job seen again in ERROR costs no query. */
    private final RecentlySeen<Boolean> settled = new RecentlySeen<>(SETTLED_CACHE);

    public RetryPolicy(Transactions tx, CloudEvents events, ObjectMapper mapper, MeterRegistry metrics, Clock clock,
                       int maxAttempts, JobTraces traces) {
        this.traces = traces;
        this.rules = new RetryRules(maxAttempts);
        this.claims = new RetryClaims(tx, events, mapper, clock, rules);
        this.mapper = mapper;
        this.metrics = metrics;
        this.startedAt = clock.instant();
    }

    /** Claims the decision for the failed job in the exchange property "job" and sets the retry headers. */
    public void decide(Exchange exchange) throws SQLException {
        JobSnapshot job = exchange.getProperty(Headers.JOB, JobSnapshot.class);
        String account = Headers.account(exchange);
        Message message = exchange.getMessage();
        if (settled.contains(account + "|" + job.id())) {
            message.setHeader(Headers.RETRY_DECISION, Decision.NONE.name());
            return;
        }
        Claimed claim = claims.claim(account, job, exchange.getProperty(JobTraces.CHANGE, String.class));
        if (claim.decision() != Decision.REQUEST && claim.decision() != Decision.NONE) {
            count(account, claim.decision().name(), job.type());
        }
        if (claim.settled()) {
            settled.put(account + "|" + job.id(), true);
        }
        message.setHeader(Headers.RETRY_DECISION, claim.decision().name());
        message.setHeader(Headers.RETRY_ATTEMPT, claim.attempt());
        message.setHeader(Headers.RETRY_MAX_ATTEMPTS, rules.maxAttempts());
        if (claim.decision() == Decision.REQUEST) {
            Instant failedBefore = RetryRules.failedBefore(job, startedAt);
            pin(exchange, new RetryClaim(job.id(), job.type(), job.targetId(), claim.attempt(), failedBefore != null,
                    failedBefore, exchange.getProperty(JobTraces.CHANGE, String.class)));
        }
    }

    /**
     * {@link #decide} for a caller that has no resend timer of its own (the retry-action Kamelet), to which the same
     * failure comes again instead: a failed job decided before whose POST did not go through (FAILED) is taken up again
     * ({@link #resume}) once its next try is due. The body is the job as the caller saw it (a map).
     */
    public void decideOrResume(Exchange exchange) throws SQLException {
        decide(exchange);
        if (!Decision.NONE.name().equals(exchange.getMessage().getHeader(Headers.RETRY_DECISION))) {
            return;
        }
        JobSnapshot job = exchange.getProperty(Headers.JOB, JobSnapshot.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> seen = exchange.getMessage().getBody(Map.class);
        DueRetry due = claims.dueClaim(Headers.account(exchange), job.id(), seen == null ? Map.of() : seen);
        if (due != null) {
            exchange.getMessage().setBody(due);
            resume(exchange);
        }
    }

    /** A failed job's claim as job_retries holds it (its outcome and attempt), or null when it has none. */
    public RetryClaims.Standing standing(String account, String failedJobId) throws SQLException {
        return claims.standing(account, failedJobId);
    }

    /** The account's FAILED claims due to be sent again whose job the API still shows, oldest claim first. */
    public List<DueRetry> dueRetries(String account) throws SQLException {
        return claims.due(account);
    }

    /**
     * Claims the next try of a FAILED retry (a {@link DueRetry} in the body): REQUEST if this instance won
     * it, for the type and target of the claim. A claim whose target is no Devana id (written before that
     * check existed) is REJECTED, said once and never sent.
     */
    public void resume(Exchange exchange) throws SQLException {
        DueRetry due = exchange.getMessage().getBody(DueRetry.class);
        JobSnapshot job;
        try {
            job = JobSnapshot.of(due.job()).pinnedTo(due.targetId(), due.jobType());
        } catch (InvalidJobException e) {
            job = JobSnapshot.minimal(due.failedJobId(), due.jobType(), due.targetId());
        }
        exchange.setProperty(Headers.JOB, job);
        Headers.labelAccount(exchange);
        Message message = exchange.getMessage();
        message.setHeader(Headers.JOB_ID, due.failedJobId());
        message.setHeader(Headers.JOB_TYPE, due.jobType());
        message.setHeader(Headers.TARGET_ID, due.targetId());
        message.setHeader(Headers.TARGET_LABEL, job.targetLabel());
        message.setHeader(Headers.RETRY_MAX_ATTEMPTS, rules.maxAttempts());
        if (!RetryRules.mayBeSent(due.jobType(), due.targetId())) {
            reject(exchange, job);
            return;
        }
        Resumed resumed = claims.resume(Headers.account(exchange), due.failedJobId());
        if (resumed == null) {
            message.setHeader(Headers.RETRY_DECISION, Decision.NONE.name());
            message.setHeader(Headers.RETRY_VERIFY, false);
            return;
        }
        // No answer recorded (a crash mid-POST, a timeout): the API may have taken it; look before sending again.
        // Our clock and the API's may differ a little: a job created up to 2 s before the claim counts.
        Instant decidedAt = resumed.decidedAt();
        pin(exchange, new RetryClaim(due.failedJobId(), due.jobType(), due.targetId(), resumed.attempt(),
                resumed.noAnswer(), decidedAt == null ? null : decidedAt.minusSeconds(2), resumed.traceparent()));
        message.setHeader(Headers.RETRY_DECISION, Decision.REQUEST.name());
    }

    /** Makes the exchange the look-up of the claim's target (the step right before the route sends it). */
    public void prepareLookUp(Exchange exchange) {
        RetryClaim claim = claimOf(exchange);
        claim.lookUp().prepare(exchange);
        traced(exchange, "retry look-up", claim);
    }

    /** The look-up failed (answer or connection): nothing is sent now; the claim is looked up again later. */
    public void lookUpFailed(Exchange exchange) {
        traces.callEnded(exchange, null, exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        headers(exchange, claimOf(exchange));
        exchange.getMessage().setHeader(Headers.RETRY_DECISION, Decision.NONE.name());
    }

    /** Makes the exchange the claim's retry POST (the step right before the route sends it). */
    public void preparePost(Exchange exchange) {
        RetryClaim claim = claimOf(exchange);
        claim.post().prepare(exchange);
        traced(exchange, "retry POST", claim);
    }

    /**
     * Reads the answer of GET /v1/jobs?targetId= (the body): if it shows the claim's retry made
     * ({@link RetryRules#retryAlreadyMade}), the claim becomes REQUESTED and nothing is sent (retryDecision NONE).
     */
    public void verify(Exchange exchange) throws SQLException {
        RetryClaim claim = claimOf(exchange);
        traces.callEnded(exchange, exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class), null);
        List<?> jobs;
        try {
            jobs = JobsPage.read(mapper, exchange.getMessage().getBody(String.class), claim.lookUp().toString());
        } catch (MalformedPageException e) {
            jobs = List.of(); // no evidence of an accepted retry
        }
        String found = RetryRules.retryAlreadyMade(claim, jobs);
        headers(exchange, claim);
        if (found == null) {
            return;
        }
        String account = Headers.account(exchange);
        claims.requested(account, claim, exchange.getProperty(Headers.JOB, JobSnapshot.class), null,
                "not sent again: the API already shows the newer job " + found);
        settled.put(account + "|" + claim.failedJobId(), true);
        count(account, "REQUESTED", claim.jobType());
        exchange.getMessage().setHeader(Headers.RETRY_DECISION, Decision.NONE.name());
        exchange.getMessage().setHeader(Headers.RETRY_FOUND_JOB, found);
    }

    /**
     * The retry budget was spent or the API is paused: the claim stays FAILED and nothing was sent. The
     * try is given back (it neither counts nor lengthens the backoff) and the claim is due again at
     * once, so resume() takes it on the next cycle that finds budget.
     */
    public void postponed(Exchange exchange) throws SQLException {
        RetryClaim claim = claimOf(exchange);
        traces.callEnded(exchange, null, exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        claims.postpone(Headers.account(exchange), claim.failedJobId());
        headers(exchange, claim);
    }

    /** The API accepted the retry POST: the claim becomes REQUESTED with the HTTP status. */
    public void accepted(Exchange exchange) throws SQLException {
        RetryClaim claim = claimOf(exchange);
        traces.callEnded(exchange, exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class), null);
        String account = Headers.account(exchange);
        claims.requested(account, claim, exchange.getProperty(Headers.JOB, JobSnapshot.class),
                exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class), null);
        settled.put(account + "|" + claim.failedJobId(), true);
        count(account, "REQUESTED", claim.jobType());
        headers(exchange, claim);
    }

    /**
     * The retry POST failed (429, 5xx, timeout, connection refused): stays FAILED, tried again next cycle.
     * camel-http answers a failed call with a new message, so the claim's headers are set again for the log.
     */
    public void failed(Exchange exchange) throws SQLException {
        RetryClaim claim = claimOf(exchange);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        traces.callEnded(exchange, cause instanceof HttpOperationFailedException http ? http.getStatusCode() : null, cause);
        String reason = OneLine.of(cause);
        headers(exchange, claim);
        exchange.getMessage().setHeader(Headers.RETRY_FAILURE, reason);
        String account = Headers.account(exchange);
        claims.failed(account, claim.failedJobId(),
                cause instanceof HttpOperationFailedException http ? http.getStatusCode() : null, reason);
        count(account, "FAILED", claim.jobType());
    }

    private void reject(Exchange exchange, JobSnapshot job) throws SQLException {
        String account = Headers.account(exchange);
        boolean rejected = claims.reject(account, job);
        exchange.getMessage().setHeader(Headers.RETRY_DECISION, Decision.NONE.name());
        exchange.getMessage().setHeader(Headers.RETRY_VERIFY, false);
        if (rejected) {
            settled.put(account + "|" + job.id(), true);
            count(account, "REJECTED", job.type());
            LOG.warn("retry rejected: job {} {}: the claimed target {} is not a Devana id; nothing sent",
                    job.id(), OneLine.printable(job.type(), 64), job.targetLabel());
        }
    }

    /** The call about to leave for the claim, in the trace of the job change the failure was seen in. */
    private void traced(Exchange exchange, String call, RetryClaim claim) {
        traces.callStarted(exchange, call, claim.traceparent(), Headers.account(exchange), claim.failedJobId(), claim.jobType(),
                claim.attempt());
    }

    private void pin(Exchange exchange, RetryClaim claim) {
        exchange.setProperty(CLAIM, claim);
        headers(exchange, claim);
    }

    /** The headers the retry routes log and branch on, from the claim (they outlive a failed HTTP call). */
    private void headers(Exchange exchange, RetryClaim claim) {
        Headers.labelAccount(exchange);
        Message message = exchange.getMessage();
        message.setHeader(Headers.JOB_ID, claim.failedJobId());
        message.setHeader(Headers.JOB_TYPE, claim.jobType());
        message.setHeader(Headers.TARGET_LABEL, JobSnapshot.label(claim.targetId()));
        message.setHeader(Headers.RETRY_ATTEMPT, claim.attempt());
        message.setHeader(Headers.RETRY_MAX_ATTEMPTS, rules.maxAttempts());
        message.setHeader(Headers.RETRY_VERIFY, claim.verify());
    }

    private static RetryClaim claimOf(Exchange exchange) {
        RetryClaim claim = exchange.getProperty(CLAIM, RetryClaim.class);
        if (claim == null) {
            throw new IllegalStateException("no retry claim on this exchange");
        }
        return claim;
    }

    private void count(String account, String outcome, String type) {
        metrics.counter("devana.retries", "account", account, "outcome", outcome, "type", MetricTags.jobType(type)).increment();
    }
}
