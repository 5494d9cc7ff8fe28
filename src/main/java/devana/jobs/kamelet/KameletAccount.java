package devana.jobs.kamelet;

import devana.jobs.client.ApiBudget;
import devana.jobs.client.JobsPage;
import devana.jobs.client.MalformedPageException;
import devana.jobs.config.AccountBeans;
import devana.jobs.config.AccountSettings;
import devana.jobs.config.Settings;
import devana.jobs.contract.ApiRequest;
import devana.jobs.contract.DevanaId;
import devana.jobs.errors.FailureReport;
import devana.jobs.errors.LogMasking;
import devana.jobs.events.CloudEventBindings;
import devana.jobs.events.CloudEvents;
import devana.jobs.events.EventOutbox;
import devana.jobs.kamelet.OpenAccounts.OpenAccount;
import devana.jobs.retry.RetryClaims;
import devana.jobs.retry.RetryPolicy;
import devana.jobs.routes.Headers;
import devana.jobs.state.JobSnapshot;
import devana.jobs.text.OneLine;
import devana.jobs.text.Secrets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Devana account as the Kamelets of {@code kamelets/} run it: the bean their templates declare, given the Kamelet's
 * parameters. {@link #open} reads them as the app reads its settings ({@link Settings}: the same checks, the jar's
 * defaults for every key a Kamelet has no parameter for, no environment variable) and opens the account with the app's
 * own beans ({@link OpenAccounts}). The template's steps call this bean, which hands each to the app's bean that does it
 * in the app's routes (the poll planner, the ledger, the retry policy ...), and is the HTTP client of the template's
 * Devana endpoints. The steps below those are the few only a Kamelet has: publishing the outbox to
 * {@code kamelet:sink}, reading a failed job's event and asking the API whether it failed, and saying what became of
 * its retry.
 */
public class KameletAccount implements CamelContextAware, HttpClientConfigurer {

    /**
     * Header set by devana-jobs-retry-action: REQUESTED, EXHAUSTED, REJECTED, UNSUPPORTED or FAILED (the failed job's
     * retry claim), NOT_FAILED (the API does not show this failure: a forged or stale event), UNCONFIRMED (the API could
     * not be asked now: nothing decided), or NONE (not a failed job's event).
     */
    public static final String RETRY_OUTCOME = "devanaRetryOutcome";
    /** Header set by devana-jobs-retry-action: the attempt (1..maxAttempts) of a REQUESTED or FAILED retry. */
    public static final String RETRY_ATTEMPT = "devanaRetryAttempt";
    /** Property: whether the action's input is a failed job it decides on. */
    static final String FAILED_JOB = "devanaRetryFailedJob";
    /** Property: the action's outcome when it decided nothing (NOT_FAILED, UNCONFIRMED, REJECTED unchecked). */
    private static final String UNDECIDED = "devanaRetryUndecided";
    private static final String INPUT_BODY = "devanaRetryInputBody";
    private static final String INPUT_HEADERS = "devanaRetryInputHeaders";
    private static final String EVENT_SEQ = "eventSeq";
    /** Where the jar keeps its own application.properties for the Kamelets (the application's own may be first on the class path). */
    static final String DEFAULTS = "classpath:devana-jobs/application.properties";
    private static final int BATCH = 100;
    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.kamelet");

    private CamelContext camelContext;
    private String kamelet = "devana-jobs";
    private ApiBudget.Caller caller = ApiBudget.Caller.POLL;
    private String account = "default";
    private String baseUrl;
    private String apiKey;
    private String pollInterval;
    private String maxAttempts;
    private String requestsPerMinute;
    private String responseTimeout = "20000";
    private String retryFailedJobs = "true";
    private String confirmWithApi = "true";
    private String databaseUrl;
    private String databaseUser;
    private String databasePassword;
    private long responseTimeoutMillis;
    private boolean retries;
    private boolean confirms;
    private OpenAccount open;
    /** The settings of an account to join on first use (no apiKey parameter). */
    private Settings toJoin;
    private boolean closed;

    /**
     * The template's init method: reads the parameters and opens the account (or joins it, open already); the account is
     * let go when the route is removed (the destroy method) or its CamelContext stops, whichever comes first.
     */
    public void open() throws Exception {
        LogMasking.install();
        if (apiKey != null && !apiKey.isBlank()) {
            Secrets.remember(apiKey);
        }
        Secrets.remember(databasePassword);
        retries = flag("retryFailedJobs", retryFailedJobs);
        confirms = flag("confirmWithApi", confirmWithApi);
        responseTimeoutMillis = millis("responseTimeout", responseTimeout);
        // without a key of its own, the action joins the account a devana-jobs-source of this process opened (a Kamelet
        // inside the source's route is made before the source's bean opens it: the join waits for the first message)
        boolean joins = apiKey == null || apiKey.isBlank();
        if (joins && caller == ApiBudget.Caller.POLL) {
            throw new Settings.InvalidSettingException(kamelet + ": parameter apiKey is empty");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("devana.accounts", "account");
        parameters.put(AccountSettings.key(account, "base-url"), "baseUrl");
        parameters.put(AccountSettings.key(account, "api-key"), "apiKey");
        parameters.put("devana.poll.interval", "pollInterval");
        parameters.put("devana.retry.max-attempts", "maxAttempts");
        parameters.put("devana.rate-limit.per-minute", "requestsPerMinute");
        parameters.put("jobs.db.url", "databaseUrl");
        parameters.put("jobs.db.user", "databaseUser");
        parameters.put("jobs.db.password", "databasePassword");
        Map<String, String> overrides = new LinkedHashMap<>();
        String[] values = {account, baseUrl, joins ? "(the key of the account's source)" : apiKey, pollInterval, maxAttempts,
            requestsPerMinute, databaseUrl, databaseUser, databasePassword};
        int i = 0;
        for (String key : parameters.keySet()) {
            String value = values[i++];
            if (value != null && !value.isBlank()) {
                overrides.put(key, value);
            }
        }
        Settings settings;
        try {
            settings = read(overrides);
        } catch (Settings.InvalidSettingException e) {
            throw new Settings.InvalidSettingException(kamelet + ": " + inParameters(e.getMessage(), parameters));
        }
        if (settings.accounts().size() != 1 || settings.accounts().get(0).baseUrl() == null) {
            throw new Settings.InvalidSettingException(kamelet + ": parameter baseUrl is required");
        }
        if (camelContext != null) {
            camelContext.addService(new ServiceSupport() {
                @Override
                protected void doStop() {
                    KameletAccount.this.close();
                }
            }, true, false);
        }
        if (joins) {
            toJoin = settings;
            return;
        }
        MeterRegistry metrics = camelContext == null ? null : camelContext.getRegistry().findSingleByType(MeterRegistry.class);
        open = OpenAccounts.open(camelContext, settings, metrics == null ? new SimpleMeterRegistry() : metrics,
                "the apiKey parameter of " + kamelet);
    }

    /** The template's destroy method, and the CamelContext's stop: lets go of the account (the last Kamelet closes it). */
    public synchronized void close() {
        closed = true;
        toJoin = null;
        if (open != null) {
            OpenAccounts.release(open);
            open = null;
        }
    }

    private boolean flag(String parameter, String value) {
        String text = value == null ? "" : value.trim();
        if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
            throw new Settings.InvalidSettingException(kamelet + ": parameter " + parameter + " must be true or false");
        }
        return Boolean.parseBoolean(text);
    }

    private long millis(String parameter, String value) {
        try {
            long millis = Long.parseLong(value == null ? "" : value.trim());
            if (millis >= 100 && millis <= 600_000) {
                return millis;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new Settings.InvalidSettingException(kamelet + ": parameter " + parameter + " must be 100 to 600000 (ms)");
    }

    /** The settings a Kamelet's parameters make, on the jar's defaults only (no application.properties, no environment). */
    private static Settings read(Map<String, String> overrides) {
        DefaultCamelContext camel = new DefaultCamelContext();
        try {
            if (camel.getPropertiesComponent() instanceof org.apache.camel.component.properties.PropertiesComponent properties) {
                properties.setEnvironmentVariableMode(org.apache.camel.component.properties.PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_NEVER);
                properties.setSystemPropertiesMode(org.apache.camel.component.properties.PropertiesComponent.SYSTEM_PROPERTIES_MODE_NEVER);
            }
            return Settings.read(camel, DEFAULTS, overrides);
        } finally {
            camel.stop();
        }
    }

    /** A settings message that names keys and environment variables, named after the Kamelet's parameters instead. */
    private static String inParameters(String message, Map<String, String> parameters) {
        String text = message;
        for (Map.Entry<String, String> parameter : parameters.entrySet()) {
            String key = parameter.getKey();
            text = text.replace(key + " (" + Settings.variable(key) + ")", "parameter " + parameter.getValue())
                    .replace(Settings.variable(key), "parameter " + parameter.getValue())
                    .replace(key, "parameter " + parameter.getValue());
        }
        return text;
    }

    // --- the steps of the app's routes, on the account's beans (the same rules, the same headers and properties)

    /**
     * The HTTP client of this Kamelet's Devana endpoints: the source's polls, or the action's retries (parameter caller),
     * each answer awaited at most responseTimeout (the route's HTTP component is the user's: its timeouts are not the
     * app's).
     */
    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        AccountBeans beans = opened().beans();
        (caller == ApiBudget.Caller.POLL ? beans.pollClient() : beans.retryClient()).configureHttpClient(clientBuilder);
        clientBuilder.setDefaultRequestConfig(RequestConfig.custom()
                .setConnectionRequestTimeout(Timeout.ofMilliseconds(responseTimeoutMillis))
                .setResponseTimeout(Timeout.ofMilliseconds(responseTimeoutMillis))
                .build());
    }

    /** PollPlanner.begin: decides the cycle's kind and first request. */
    public void begin(Exchange exchange) throws SQLException {
        opened().beans().planner().begin(exchange);
    }

    /** PollPlanner.prepareRequest: makes the exchange the cycle's next request. */
    public void prepareRequest(Exchange exchange) {
        opened().beans().planner().prepareRequest(exchange);
    }

    /** PollPlanner.accept: reads the answer; the page's jobs not seen yet in the cycle go to pollPageJobs. */
    public void accept(Exchange exchange) throws SQLException {
        opened().beans().planner().accept(exchange);
    }

    /** PollPlanner.budgetSpent: the poll share of the budget is spent; the cycle ends with the pages it has. */
    public void budgetSpent(Exchange exchange) {
        opened().beans().planner().budgetSpent(exchange);
    }

    /** JobLedger.recordAll: the page's jobs' states, completions and events, written together. */
    public void recordAll(Exchange exchange) throws SQLException {
        opened().ledger().recordAll(exchange);
    }

    /** JobLedger.observe: one job's change, and the headers its route branches on. */
    public void observe(Exchange exchange) throws SQLException {
        opened().ledger().observe(exchange);
    }

    /** FailureReport.classify: the failure in one line (said once a minute when it repeats) and its metric. */
    public void classify(Exchange exchange) {
        opened().failures().classify(exchange);
    }

    /** The sink did not take an event: classify's line and metric, the line naming the sink's own failure. */
    public void sinkFailed(Exchange exchange) {
        FailureReport failures = opened().failures();
        failures.classify(exchange);
        exchange.getMessage().setHeader(Headers.FAILURE_LINE, failures.rootCause(exchange));
    }

    /** OutboxClaim.heldElsewhere: another process publishes this database's events now. */
    public boolean heldElsewhere(Exchange exchange) throws SQLException {
        return opened().outboxClaim().heldElsewhere(exchange);
    }

    /** RetryPolicy.decideOrResume: the failed job's decision, claimed; a FAILED one taken up again once due. */
    public void decideOrResume(Exchange exchange) throws SQLException {
        opened().retries().decideOrResume(exchange);
    }

    /** RetryPolicy.prepareLookUp: makes the exchange the look-up of the claim's target. */
    public void prepareLookUp(Exchange exchange) {
        opened().retries().prepareLookUp(exchange);
    }

    /** RetryPolicy.verify: whether the API shows the claim's retry made already. */
    public void verify(Exchange exchange) throws SQLException {
        opened().retries().verify(exchange);
    }

    /** RetryPolicy.lookUpFailed: nothing is sent now; the claim is looked up again later. */
    public void lookUpFailed(Exchange exchange) {
        opened().retries().lookUpFailed(exchange);
    }

    /** RetryPolicy.preparePost: makes the exchange the claim's retry POST. */
    public void preparePost(Exchange exchange) {
        opened().retries().preparePost(exchange);
    }

    /** RetryPolicy.accepted: the API took the retry (REQUESTED). */
    public void accepted(Exchange exchange) throws SQLException {
        opened().retries().accepted(exchange);
    }

    /** RetryPolicy.failed: the POST failed (FAILED, sent again after its backoff). */
    public void failed(Exchange exchange) throws SQLException {
        opened().retries().failed(exchange);
    }

    /** RetryPolicy.postponed: not sent (retry share spent, API paused); due again at once. */
    public void postponed(Exchange exchange) throws SQLException {
        opened().retries().postponed(exchange);
    }

    // --- devana-jobs-source: the poll's pace, the account's outbox to kamelet:sink, the retries to send again

    /** Whether this tick polls (the app's pacing: busy every tick, idle less and less often). */
    public boolean pollDue() {
        return !opened().beans().pacing().waits();
    }

    /**
     * The account's next events to publish, oldest first (the rows of the outbox), as the body; the property
     * {@code moreEvents} says whether the batch was full (more wait: the publish loop reads again at once).
     */
    public void nextEvents(Exchange exchange) throws SQLException {
        List<Map<String, Object>> batch = opened().tx().inTransaction(connection ->
                EventOutbox.nextOfAccount(connection, opened().account().name(), BATCH));
        exchange.getMessage().setBody(batch);
        exchange.setProperty("moreEvents", batch.size() == BATCH);
    }

    /**
     * Makes the exchange the event of the outbox row in the body: the CloudEvent (JSON, structured mode) as the body, and
     * the headers the app gives a bus: Content-Type, eventId, eventType, and jobId, jobType, targetId made safe to route
     * on (CloudEventBindings). Every other header is removed.
     */
    public void toEvent(Exchange exchange) {
        @SuppressWarnings("unchecked")
        Map<String, Object> row = exchange.getMessage().getBody(Map.class);
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        exchange.setProperty(EVENT_SEQ, ((Number) row.get("seq")).longValue());
        message.setHeader("eventId", row.get("event_id"));
        message.setHeader("eventType", row.get("event_type"));
        message.setHeader(Headers.JOB_ID, row.get("job_id"));
        message.setHeader(Headers.JOB_TYPE, row.get("job_type"));
        message.setHeader(Headers.TARGET_ID, row.get("target_id"));
        message.setHeader(Exchange.CONTENT_TYPE, CloudEvents.CONTENT_TYPE);
        message.setBody(row.get("payload"));
        new CloudEventBindings("kamelet:sink", opened().mapper()).apply(exchange);
    }

    /** The sink took the event: it is published. */
    public void published(Exchange exchange) throws SQLException {
        long seq = exchange.getProperty(EVENT_SEQ, Long.class);
        opened().tx().inTransaction(connection -> {
            EventOutbox.markPublished(connection, seq);
            return null;
        });
    }

    /** The jobs of the account's FAILED retries due to be sent again, as last seen, each for the retry action. */
    public List<Map<String, Object>> dueRetries() throws SQLException {
        List<Map<String, Object>> jobs = new ArrayList<>();
        for (RetryClaims.DueRetry due : opened().retries().dueRetries(opened().account().name())) {
            jobs.add(due.job());
        }
        return jobs;
    }

    /** Whether the source retries failed extractions and embeddings (parameter retryFailedJobs). */
    public boolean retriesFailedJobs() {
        return retries;
    }

    // --- devana-jobs-retry-action: a failed job's event in, the same event out with what became of its retry

    /**
     * Reads the action's input ({@link FailedJobInput}), and keeps it aside (it leaves the action unchanged). A failed
     * job sets the exchange up for {@link RetryPolicy#decideOrResume}: the job as the body (a map) and as the property
     * "job". Anything else is no failed job: nothing is sent, and input that is not even an event is said, once a minute.
     */
    public void failedJob(Exchange exchange) {
        Message message = exchange.getMessage();
        Object input = message.getBody();
        exchange.setProperty(INPUT_BODY, input);
        exchange.setProperty(INPUT_HEADERS, new HashMap<>(message.getHeaders()));
        exchange.setProperty(FAILED_JOB, false);
        FailedJobInput.Read read = FailedJobInput.read(input, opened().mapper());
        if (read.job() == null) {
            if (read.notOne() != null) {
                String repeats = opened().repeats().say("kamelet-input|" + kamelet);
                if (repeats != null) {
                    LOG.warn("{} {}: passed on, nothing decided: the event is not a failed job's ({}){}", kamelet,
                            opened().account().name(), OneLine.printable(read.notOne(), 200), repeats);
                }
            }
            return;
        }
        message.setBody(read.job());
        exchange.setProperty(Headers.JOB, read.snapshot());
        exchange.setProperty(FAILED_JOB, true);
    }

    /**
     * Whether the failure is looked up in the API before anything is decided (parameter confirmWithApi: an event from a
     * bus may be forged or stale; the source, whose failures come from the API, turns it off). A target that is no
     * Devana id cannot be looked up, nor retried: the event is REJECTED here, unrecorded.
     */
    public boolean confirmsWithApi(Exchange exchange) {
        if (!confirms) {
            return false;
        }
        JobSnapshot job = exchange.getProperty(Headers.JOB, JobSnapshot.class);
        if (!DevanaId.isValid(job.targetId())) {
            undecided(exchange, "REJECTED");
            return false;
        }
        return true;
    }

    /** Makes the exchange GET /v1/jobs?targetId= of the failed job's target (the step right before the route sends it). */
    public void prepareConfirmation(Exchange exchange) {
        JobSnapshot job = exchange.getProperty(Headers.JOB, JobSnapshot.class);
        ApiRequest.jobsOfTarget(job.targetId()).prepare(exchange);
    }

    /**
     * Reads the target's page: the failure goes on to its decision as the API shows it (its type, its target), or, not
     * shown there, is NOT_FAILED: nothing is decided on a job the API does not show failed.
     */
    public void confirmed(Exchange exchange) {
        JobSnapshot claimed = exchange.getProperty(Headers.JOB, JobSnapshot.class);
        List<Object> page;
        try {
            page = JobsPage.read(opened().mapper(), exchange.getMessage().getBody(String.class), "jobs of the target");
        } catch (MalformedPageException e) {
            page = List.of();
        }
        Map<String, Object> shown = FailedJobInput.shownFailed(page, claimed);
        if (shown == null) {
            undecided(exchange, "NOT_FAILED");
            String repeats = opened().repeats().say("kamelet-not-failed|" + kamelet);
            if (repeats != null) {
                LOG.warn("{} {}: job {} is not shown failed by the API (a forged or stale event): nothing decided{}", kamelet,
                        opened().account().name(), claimed.id(), repeats);
            }
            return;
        }
        exchange.getMessage().setBody(shown);
        exchange.setProperty(Headers.JOB, JobSnapshot.of(shown));
    }

    /** The API could not be asked (the retry share spent, a failure): nothing is decided now; the event can come again. */
    public void unconfirmed(Exchange exchange) {
        undecided(exchange, "UNCONFIRMED");
    }

    private void undecided(Exchange exchange, String outcome) {
        exchange.setProperty(FAILED_JOB, false);
        exchange.setProperty(UNDECIDED, outcome);
    }

    /**
     * The action's output: its input as it came (body and headers), with {@value #RETRY_OUTCOME} (what job_retries holds
     * for the failed job now, or why nothing was decided) and {@value #RETRY_ATTEMPT}.
     */
    @SuppressWarnings("unchecked")
    public void retryOutcome(Exchange exchange) throws SQLException {
        RetryClaims.Standing standing = null;
        JobSnapshot job = exchange.getProperty(Headers.JOB, JobSnapshot.class);
        if (Boolean.TRUE.equals(exchange.getProperty(FAILED_JOB, Boolean.class)) && job != null) {
            standing = opened().retries().standing(opened().account().name(), job.id());
        }
        String undecided = exchange.getProperty(UNDECIDED, String.class);
        Message message = exchange.getMessage();
        message.setBody(exchange.getProperty(INPUT_BODY));
        message.getHeaders().clear();
        Map<String, Object> headers = exchange.getProperty(INPUT_HEADERS, Map.class);
        if (headers != null) {
            message.getHeaders().putAll(headers);
        }
        message.setHeader(RETRY_OUTCOME, standing != null ? standing.outcome() : undecided != null ? undecided : "NONE");
        message.setHeader(RETRY_ATTEMPT, standing == null ? null : standing.attempt());
        exchange.removeProperty(INPUT_BODY);
        exchange.removeProperty(INPUT_HEADERS);
        exchange.removeProperty(UNDECIDED);
    }

    private synchronized OpenAccount opened() {
        if (open == null && toJoin != null && !closed) {
            open = OpenAccounts.join(camelContext, toJoin, kamelet);
            toJoin = null;
        }
        if (open == null) {
            throw new IllegalStateException(kamelet + ": the account is not open (the template's init method is open)");
        }
        return open;
    }

    // --- the Kamelet's parameters

    public void setKamelet(String kamelet) {
        this.kamelet = kamelet;
    }

    /** POLL (the source: its GET /v1/jobs draw from the poll share) or RETRY (the action: the retry share). */
    public void setCaller(String caller) {
        this.caller = ApiBudget.Caller.valueOf(caller);
    }

    public void setAccount(String account) {
        this.account = account;
    }

    public void setBaseUrl(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public void setApiKey(String apiKey) {
        this.apiKey = apiKey;
    }

    public void setPollInterval(String pollInterval) {
        this.pollInterval = pollInterval;
    }

    public void setMaxAttempts(String maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public void setRequestsPerMinute(String requestsPerMinute) {
        this.requestsPerMinute = requestsPerMinute;
    }

    public void setResponseTimeout(String responseTimeout) {
        this.responseTimeout = responseTimeout;
    }

    public void setRetryFailedJobs(String retryFailedJobs) {
        this.retryFailedJobs = retryFailedJobs;
    }

    public void setConfirmWithApi(String confirmWithApi) {
        this.confirmWithApi = confirmWithApi;
    }

    public void setDatabaseUrl(String databaseUrl) {
        this.databaseUrl = databaseUrl;
    }

    public void setDatabaseUser(String databaseUser) {
        this.databaseUser = databaseUser;
    }

    public void setDatabasePassword(String databasePassword) {
        this.databasePassword = databasePassword;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public String toString() {
        return "KameletAccount[" + kamelet + ", " + account + ", apiKey=****]";
    }
}
