package devana.jobs.client;

import devana.jobs.contract.AccountName;
import devana.jobs.contract.MetricTags;
import devana.jobs.pacing.ExponentialBackoff;
import devana.jobs.pacing.FailurePause;
import devana.jobs.pacing.RollingWindow;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one API budget of a key. {@link DevanaApiClient} takes from it before every call and reports every
 * answer to it; nothing else does.
 * <ul>
 * <li>At most {@code perMinute} requests in any rolling minute, of which a share is kept for retries (the
 * POSTs and their look-ups): polls may use {@code perMinute - retryReserve}, retries {@code retryReserve},
 * so a failure storm cannot starve polling and polling cannot starve retries.</li>
 * <li>A 429 pauses every caller until its Retry-After has passed. The HTTP client's own Retry-After
 * handling is off (camel.component.http.automatic-retries-disabled), so a long value is honoured
 * here, visibly, instead of hanging a route inside the client.</li>
 * <li>5xx, 401/403, timeouts and connection errors pause every caller with exponential backoff and
 * jitter (base, 2 x base, 4 x base ... capped); the first success starts that count again.</li>
 * <li>Among several instances, only the one whose poll route runs (the leader of the account: the route is a
 * master: route) spends it. A retry or a look-up is refused before it is sent on an instance that asked for
 * no poll within {@code leaderWindow}: a retry asked by a push a follower received is postponed, and the
 * leader's resend route sends it, so the key's requests a minute are counted in one place.</li>
 * </ul>
 */
public class ApiBudget {

    /** Who is asking: the two shares of the budget. */
    public enum Caller { POLL, RETRY }

    private static final Logger LOG = LoggerFactory.getLogger(ApiBudget.class);
    private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(60);
    /** The longest Retry-After honoured: a larger value (a broken or hostile answer) would stop every call for good. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(15);

    private final Clock clock;
    private final MeterRegistry metrics;
    private final String account;
    private final int perMinute;
    private final int pollLimit;
    private final int retryLimit;
    private final FailurePause pause;
    private final RollingWindow polls = RollingWindow.ofOneMinute();
    private final RollingWindow retries = RollingWindow.ofOneMinute();
    private final RollingWindow answers = RollingWindow.ofOneMinute();
    private final Duration leaderWindow;
    private Instant lastPollAsked;

    /** The budget of an instance that makes every call of its key (alone, or the wait command). */
    public ApiBudget(Clock clock, MeterRegistry metrics, int perMinute, double retryShare,
                     Duration backoffBase, Duration backoffMax) {
        this(AccountName.DEFAULT, clock, metrics, perMinute, retryShare, backoffBase, backoffMax, null);
    }

    /**
     * The budget of {@code account}'s key (its meters carry the account's name).
     * @param leaderWindow among several instances, how recently a poll must have been asked here for a retry to
     *                     be sent here; null when this instance makes every call of its key
     */
    public ApiBudget(String account, Clock clock, MeterRegistry metrics, int perMinute, double retryShare,
                     Duration backoffBase, Duration backoffMax, Duration leaderWindow) {
        this.leaderWindow = leaderWindow;
        this.clock = clock;
        this.metrics = metrics;
        this.account = account;
        this.perMinute = perMinute;
        this.retryLimit = Math.max(1, (int) Math.round(perMinute * retryShare));
        this.pollLimit = Math.max(1, perMinute - retryLimit);
        this.pause = new FailurePause(clock, ExponentialBackoff.withJitter(backoffBase, backoffMax));
        Gauge.builder("devana.api.budget.left", this, budget -> budget.left(Caller.POLL)).tag("account", account).tag("caller", "poll").register(metrics);
        Gauge.builder("devana.api.budget.left", this, budget -> budget.left(Caller.RETRY)).tag("account", account).tag("caller", "retry").register(metrics);
        Gauge.builder("devana.api.budget.remaining", this, ApiBudget::remaining)
                .description("Devana API requests left in the rolling minute, counted by the answers received")
                .tag("account", account).register(metrics);
    }

    public boolean isPaused() {
        return pause.isPaused();
    }

    public Instant pausedUntil() {
        return pause.until();
    }

    /** Takes one request from the caller's share, or says why not (paused, or the share spent for this minute). */
    synchronized void acquire(Caller caller) throws BudgetSpentException {
        Instant now = clock.instant();
        if (caller == Caller.POLL) {
            lastPollAsked = now;
        } else if (!pollsHere(now)) {
            throw new BudgetSpentException("this instance does not poll this account now: the one that does makes its calls");
        }
        if (pause.isPaused()) {
            throw new BudgetSpentException("every call to the Devana API waits until " + pause.until());
        }
        String tag = caller.name().toLowerCase();
        if (!window(caller).tryAdd(now, caller == Caller.POLL ? pollLimit : retryLimit)) {
            metrics.counter("devana.api.budget.denied", "account", account, "caller", tag).increment();
            throw new BudgetSpentException("the " + tag + " share of the Devana API budget is spent for this minute");
        }
        metrics.counter("devana.api.requests", "account", account, "caller", tag).increment();
    }

    /**
     * The account's poll route ticked here, whether or not its pacing sends a cycle now: the route runs on the
     * account's leader only, so this instance leads it (see {@link #pollsHere()}).
     */
    public synchronized void pollTicked() {
        lastPollAsked = clock.instant();
    }

    /**
     * Whether this instance is the one that polls the key's account now: always when it makes every call of its
     * key, else when its poll route ticked or asked within the leader window (the route runs on the account's leader
     * only).
     */
    public synchronized boolean pollsHere() {
        return pollsHere(clock.instant());
    }

    private boolean pollsHere(Instant now) {
        return leaderWindow == null || (lastPollAsked != null && !lastPollAsked.plus(leaderWindow).isBefore(now));
    }

    /** Requests still allowed to the caller in the current rolling minute. */
    public synchronized int left(Caller caller) {
        return (caller == Caller.POLL ? pollLimit : retryLimit) - window(caller).count(clock.instant());
    }

    /** Requests left in the rolling minute by the answers the API gave (each one, a 429 included, counts there). */
    public synchronized int remaining() {
        return Math.max(0, perMinute - answers.count(clock.instant()));
    }

    /**
     * An answer of the API, with its headers: counted by status; a 2xx starts the failure count again; a
     * 429 pauses every caller for its Retry-After; 5xx, 401 and 403 pause every caller with backoff.
     */
    synchronized void answered(int status, UnaryOperator<String> header) {
        metrics.counter("devana.api.responses", "account", account, "status", MetricTags.httpStatus(status)).increment();
        answers.add(clock.instant());
        if (status >= 200 && status < 300) {
            pause.succeeded();
            return;
        }
        metrics.counter("devana.api.failures", "account", account, "status", MetricTags.httpStatus(status)).increment();
        if (status == 429) {
            Duration wait = retryAfter(header.apply("Retry-After"));
            Instant until = pause.atLeast(wait);
            LOG.warn("Devana API rate limit hit (HTTP 429): every call paused for {} s (Retry-After), until {}",
                    wait.toSeconds(), until);
        } else if (status >= 500 || status == 401 || status == 403) {
            pause.failed();
        }
    }

    /** No answer: the connection failed, or timed out. Every caller pauses with backoff. */
    synchronized void unreachable(IOException failure) {
        metrics.counter("devana.api.failures", "account", account, "status", failure.getClass().getSimpleName()).increment();
        pause.failed();
    }

    /** How long a 429 pauses: its Retry-After (seconds or an HTTP date), at most {@link #MAX_RETRY_AFTER}. */
    Duration retryAfter(String value) {
        Duration asked = askedRetryAfter(value);
        return asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
    }

    private Duration askedRetryAfter(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_RETRY_AFTER;
        }
        String text = value.trim();
        if (text.matches("\\d+")) {
            return text.length() > 9 ? MAX_RETRY_AFTER : Duration.ofSeconds(Math.max(1, Long.parseLong(text)));
        }
        try {
            Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration wait = Duration.between(clock.instant(), at);
            return wait.isNegative() ? Duration.ofSeconds(1) : wait;
        } catch (DateTimeParseException | ArithmeticException notDate) {
            return DEFAULT_RETRY_AFTER;
        }
    }

    private RollingWindow window(Caller caller) {
        return caller == Caller.POLL ? polls : retries;
    }
}
