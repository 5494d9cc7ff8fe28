package devana.jobs.cluster;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.support.service.ServiceSupport;

/**
 * What this instance leads, as the probes read it: asked of the cluster service on a thread of its own every
 * half second, never on the thread of an HTTP request. Camel 4.14's file-lock service answers under the lock
 * its election task holds while it starts a group's routes (seen: 6 s during a takeover), which would make a
 * readiness probe miss the kubelet's 1 s.
 */
public final class LeadershipWatch extends ServiceSupport {

    private static final long REFRESH_MILLIS = 500;

    private final CamelContext context;
    private final CamelClusterService service;
    private volatile Map<String, Boolean> leads = Map.of();
    private ScheduledExecutorService refresher;

    public LeadershipWatch(CamelContext context, CamelClusterService service) {
        this.context = context;
        this.service = service;
    }

    /** Group name (in name order) to whether this instance leads it, as last seen (empty before the first look). */
    public Map<String, Boolean> groups() {
        return leads;
    }

    /** The member id the cluster service gives this instance. */
    public String member() {
        return service.getId();
    }

    private void refresh() {
        Map<String, Boolean> seen = new TreeMap<>();
        for (String group : service.getNamespaces()) {
            seen.put(group, service.isLeader(group));
        }
        leads = Collections.unmodifiableMap(seen);
    }

    @Override
    protected void doStart() {
        refresher = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "LeadershipWatch");
        refresher.scheduleWithFixedDelay(() -> {
            try {
                refresh();
            } catch (RuntimeException e) {
                // the last answer stands; the next look tries again
            }
        }, 0, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        context.getExecutorServiceManager().shutdownNow(refresher);
    }
}
