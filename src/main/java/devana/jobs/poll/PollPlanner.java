package devana.jobs.poll;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.client.JobsPage;
import devana.jobs.contract.ApiRequest;
import devana.jobs.contract.DevanaId;
import devana.jobs.contract.JobStatus;
import devana.jobs.contract.ListingQuery;
import devana.jobs.routes.Headers;
import devana.jobs.state.JobLedger.ActiveJob;
import devana.jobs.state.JobLedger;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans the requests of one poll cycle; the poll route loops over them (property {@code morePages}),
 * sends each as {@link #prepareRequest} made it, and hands each answer back to {@link #accept}, which leaves the
 * page's jobs not seen yet in this cycle in {@code pollPageJobs} (the route records and dispatches them before the
 * next request). Two kinds of cycle:
 * <ul>
 * <li><b>full scan</b>: limit=100, offset 0, 100, ... until a short page or offset 1000, the API's
 * cap. The first cycle after a start is one, when {@link FullScans} has room for it (otherwise the cycle is
 * incremental and the scan waits for a later one). Then every {@code fullScanInterval} a scan goes again, a page at
 * a time: the incremental cycles' newest page is its first, and one deeper page rides at the end of a cycle every
 * twentieth of the interval (15 s for 5 minutes), so that its requests do not come together in one minute of the
 * budget and push the cycles after it over the poll share. Pages only shift down between two of its pages (new
 * jobs come first), so such a scan reads some jobs twice and misses none, but one killed in between.</li>
 * <li><b>incremental</b>, in between: only jobs that are new or active can change (DONE and ERROR are
 * final). (1) The newest page (offset 0) shows new jobs and every recent one; more pages only while a
 * burst of new jobs pushed the previously newest one further down. (2) If jobs believed active are
 * older than what those pages covered: {@code type=IN_PROGRESS} (if one of them was running) and
 * {@code type=PENDING} (if one was waiting), page after page only while a job believed active and not seen
 * yet can still be further down. (3) Each
 * of them still unseen left the active set: {@code targetId=} look-up shows its new state; a job
 * not shown at all was killed or aged out and is no longer asked about.</li>
 * </ul>
 * Every request first takes a slot from the poll share of the {@link ApiBudget} budget; when the share
 * is spent the cycle ends with what it has, and the rest waits for the next cycle.
 * Pages shift while they are read, so jobs are de-duplicated by id within a cycle (first sighting kept).
 */
public class PollPlanner {

    /** Every query asks for the most jobs the API gives at once. */
    static final int PAGE_SIZE = ListingQuery.MAX_LIMIT;

    /** A periodic scan's deeper pages come at most once every this fraction of the full-scan interval. */
    private static final int SCAN_PAGES_SPREAD = 20;

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.poll");

    private final ObjectMapper mapper;
    private final JobLedger ledger;
    private final Clock clock;
    private final String account;
    private final PollPacing pacing;
    private final boolean incremental;
    private final Duration fullScanInterval;
    private final FullScans fullScans;
    private volatile Instant lastFullScan;
    private volatile Instant newestCreatedAt;
    /** The periodic scan read a page at a time: the offset of its next page (0: none under way), when it began. */
    private volatile int scanOffset;
    private volatile Instant scanBegan;
    private volatile Instant lastScanPage;

    /** The planner of {@code account}'s cycles (one per account: each has its own scans and newest job). */
    public PollPlanner(ObjectMapper mapper, JobLedger ledger, Clock clock, String account, PollPacing pacing,
                       boolean incremental, Duration fullScanInterval, FullScans fullScans) {
        this.mapper = mapper;
        this.ledger = ledger;
        this.clock = clock;
        this.account = account;
        this.pacing = pacing;
        this.incremental = incremental;
        this.fullScanInterval = fullScanInterval;
        this.fullScans = fullScans;
    }

    /** Starts a cycle: decides its kind and its first request. */
    public void begin(Exchange exchange) throws SQLException {
        Instant now = clock.instant();
        boolean first = lastFullScan == null;
        // in full mode every cycle is one, as asked; in incremental mode the first scan waits while others hold the
        // room, and a later one is read a page at a time
        boolean full = !incremental || (first && fullScans.tryStart(exchange));
        if (incremental && first && !full) {
            LOG.debug("full scan of account {} waits: {} are under way (devana.poll.full-scans-at-once)", account,
                    fullScans.running());
        }
        if (incremental && !first && scanOffset == 0 && !now.isBefore(lastFullScan.plus(fullScanInterval))) {
            scanOffset = PAGE_SIZE;
            scanBegan = now;
            lastScanPage = null;
        }
        pacing.began();
        Cycle cycle = new Cycle(full, now, full ? List.of() : ledger.activeJobs(account), newestCreatedAt);
        cycle.queue.add(new Query(Phase.NEWEST, null, null, 0, null));
        if (!full && scanOffset > 0 && (lastScanPage == null
                || !now.isBefore(lastScanPage.plus(fullScanInterval.dividedBy(SCAN_PAGES_SPREAD))))) {
            cycle.scanPage = new Query(Phase.SCAN, null, null, scanOffset, null);
        }
        exchange.setProperty(Headers.POLL_CYCLE, cycle);
        advance(exchange, cycle);
    }

    /** Takes the answer in the body, then plans the next request (or ends the cycle). */
    public void accept(Exchange exchange) throws SQLException {
        Cycle cycle = exchange.getProperty(Headers.POLL_CYCLE, Cycle.class);
        Query query = cycle.current;
        List<?> jobs = JobsPage.read(mapper, exchange.getMessage().getBody(String.class), query.request().toString());
        cycle.pages++;
        Instant oldest = null;
        boolean lookupFound = false;
        List<Object> firstSeen = new ArrayList<>();
        for (Object job : jobs) {
            Map<?, ?> map = job instanceof Map<?, ?> m ? m : Map.of();
            Object id = map.get("id");
            String key = id instanceof String text ? text : "#unreadable-" + cycle.seen.size();
            if (cycle.seen.putIfAbsent(key, job) == null) {
                firstSeen.add(job);
            }
            Instant created = createdAt(map);
            if (created != null) {
                oldest = oldest == null || created.isBefore(oldest) ? created : oldest;
                if (cycle.newest == null || created.isAfter(cycle.newest)) {
                    cycle.newest = created;
                }
            }
            lookupFound |= query.lookupJobId != null && query.lookupJobId.equals(id);
        }
        exchange.setProperty(Headers.POLL_PAGE_JOBS, firstSeen);
        boolean fullPage = jobs.size() >= PAGE_SIZE && query.offset + PAGE_SIZE <= ListingQuery.MAX_OFFSET;
        if (query.phase == Phase.SCAN || (query.phase == Phase.NEWEST && query.offset == 0 && scanOffset > 0 && !fullPage)) {
            scanned(query, fullPage, cycle);
        }
        if (query.phase == Phase.LOOKUP && !lookupFound) {
            ledger.markGone(account, query.lookupJobId);
            LOG.info("job {} is no longer shown by the API (killed, or past its 24 h window): no longer tracked",
                    query.lookupJobId);
        }
        if (fullPage && (cycle.full || (query.phase == Phase.ACTIVE && deeper(cycle, oldest))
                || (query.phase == Phase.NEWEST && burst(cycle, oldest)))) {
            cycle.queue.addFirst(query.nextPage());
        }
        if (query.phase == Phase.NEWEST && !cycle.full && cycle.queue.isEmpty()) {
            planActive(cycle, oldest, fullPage);
        } else if (query.phase == Phase.ACTIVE && cycle.queue.stream().noneMatch(q -> q.phase == Phase.ACTIVE)) {
            planLookups(cycle);
        }
        advance(exchange, cycle);
    }

    private void planActive(Cycle cycle, Instant oldestOnPages, boolean pagesWereFull) {
        boolean deepRunning = false;
        boolean deepPending = false;
        for (ActiveJob job : cycle.active) {
            boolean covered = !pagesWereFull || (job.createdAt() != null && oldestOnPages != null
                    && !job.createdAt().isBefore(oldestOnPages));
            if (!cycle.seen.containsKey(job.id()) && !covered) {
                deepRunning |= "IN_PROGRESS".equals(job.status());
                deepPending |= "PENDING".equals(job.status());
            }
        }
        if (deepRunning) {
            cycle.queue.add(new Query(Phase.ACTIVE, null, JobStatus.IN_PROGRESS, 0, null));
        }
        if (deepPending) {
            cycle.queue.add(new Query(Phase.ACTIVE, null, JobStatus.PENDING, 0, null));
        }
        if (!deepRunning && !deepPending) {
            planLookups(cycle);
        }
    }

    private void planLookups(Cycle cycle) {
        for (ActiveJob job : cycle.active) {
            if (!cycle.seen.containsKey(job.id()) && DevanaId.isValid(job.targetId())) {
                cycle.queue.add(new Query(Phase.LOOKUP, job.targetId(), null, 0, job.id()));
            }
        }
    }

    /**
     * A full page of a status list, sorted newest first, ends at {@code oldestOnPage}: a tracked active job
     * not seen yet can only be further down if it is not newer than that (or its age is unknown). Otherwise
     * the next page is not asked for: the job left that status, and a look-up tells what it became.
     */
    private static boolean deeper(Cycle cycle, Instant oldestOnPage) {
        return oldestOnPage == null || cycle.active.stream().anyMatch(job -> !cycle.seen.containsKey(job.id())
                && (job.createdAt() == null || !job.createdAt().isAfter(oldestOnPage)));
    }

    /**
     * A full newest page whose oldest job is newer than the newest of the previous cycle: a gap to read. With no
     * previous cycle (the account's first full scan waits for {@link FullScans}) there is no gap: that scan reads it all.
     */
    private static boolean burst(Cycle cycle, Instant oldestOnPage) {
        return cycle.previousNewest != null && (oldestOnPage == null || oldestOnPage.isAfter(cycle.previousNewest));
    }

    /** The cycle's current request was not sent (poll budget spent, or the API paused): the cycle ends with what it has. */
    public void budgetSpent(Exchange exchange) {
        Cycle cycle = exchange.getProperty(Headers.POLL_CYCLE, Cycle.class);
        LOG.debug("poll budget spent for this minute: cycle ends with {} of its requests not sent", cycle.queue.size() + 1);
        cycle.queue.clear();
        cycle.scanPage = null;
        cycle.complete = false;
        cycle.current = null;
        exchange.setProperty(Headers.MORE_PAGES, false);
        finish(exchange, cycle);
    }

    /** A page of the periodic scan was read (or the newest page showed there is no deeper one): the next, or the end. */
    private void scanned(Query query, boolean fullPage, Cycle cycle) {
        lastScanPage = clock.instant();
        cycle.scanPage = null;
        if (query.phase == Phase.SCAN && fullPage) {
            scanOffset = query.offset + PAGE_SIZE;
        } else {
            scanOffset = 0;
            lastFullScan = scanBegan;
        }
    }

    private void advance(Exchange exchange, Cycle cycle) {
        Query next = cycle.queue.pollFirst();
        if (next == null && cycle.scanPage != null) {
            // the periodic scan's page goes last: it never delays what the cycle is there to see
            next = cycle.scanPage;
            cycle.scanPage = null;
        }
        cycle.current = next;
        exchange.setProperty(Headers.MORE_PAGES, next != null);
        if (next == null) {
            finish(exchange, cycle);
        }
    }

    private void finish(Exchange exchange, Cycle cycle) {
        if (cycle.newest != null && (newestCreatedAt == null || cycle.newest.isAfter(newestCreatedAt))) {
            newestCreatedAt = cycle.newest;
        }
        if (cycle.full && cycle.complete) {
            lastFullScan = cycle.startedAt;
        }
        long activeSeen = cycle.seen.values().stream().filter(job -> job instanceof Map<?, ?> map
                && (JobStatus.PENDING.equals(map.get("status")) || JobStatus.IN_PROGRESS.equals(map.get("status")))).count();
        pacing.ended((int) Math.max(activeSeen, cycle.active.size()));
        exchange.setProperty(Headers.POLL_JOBS, new ArrayList<>(cycle.seen.values()));
        exchange.setProperty(Headers.POLL_PAGES, cycle.pages);
        exchange.setProperty(Headers.POLL_KIND, cycle.full ? "full scan" : "incremental");
    }


    /** Makes the exchange the cycle's next request (the step right before the poll route sends it). */
    public void prepareRequest(Exchange exchange) {
        exchange.getProperty(Headers.POLL_CYCLE, Cycle.class).current.request().prepare(exchange);
    }

    private static Instant createdAt(Map<?, ?> job) {
        if (job.get("createdAt") instanceof String text) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        return null;
    }

    private enum Phase { NEWEST, ACTIVE, LOOKUP, SCAN }

    /** One request of the cycle: the newest pages, a status filter's pages, or a target's jobs. */
    private record Query(Phase phase, String targetId, String status, int offset, String lookupJobId) {
        ApiRequest request() {
            return ApiRequest.jobs(targetId, status, PAGE_SIZE, offset);
        }

        Query nextPage() {
            return new Query(phase, targetId, status, offset + PAGE_SIZE, lookupJobId);
        }
    }

    /** The state of one cycle, kept in the exchange. */
    static final class Cycle {
        final boolean full;
        final Instant startedAt;
        final List<ActiveJob> active;
        final Instant previousNewest;
        final Deque<Query> queue = new ArrayDeque<>();
        final Map<String, Object> seen = new LinkedHashMap<>();
        Query current;
        Query scanPage;
        Instant newest;
        int pages;
        boolean complete = true;

        Cycle(boolean full, Instant startedAt, List<ActiveJob> active, Instant previousNewest) {
            this.full = full;
            this.startedAt = startedAt;
            this.active = active;
            this.previousNewest = previousNewest;
        }
    }
}
