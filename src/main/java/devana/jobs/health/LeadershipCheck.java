package devana.jobs.health;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.health.HealthCheckResultBuilder;

/**
 * Readiness detail: which groups of timer routes (an account's poll, the outbox, housekeeping) this instance
 * leads and which it follows. Always UP: a follower serves the webhook, the dashboard and /api like a leader,
 * and taking it out of a Service would only lose pushes.
 */
public class LeadershipCheck extends ReadinessCheck {

    private final CamelClusterService service;
    private final String how;

    public LeadershipCheck(CamelClusterService service, String how) {
        super("leadership");
        this.service = service;
        this.how = how;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        List<String> leads = new ArrayList<>();
        List<String> follows = new ArrayList<>();
        for (String group : new TreeSet<>(service.getNamespaces())) {
            (service.isLeader(group) ? leads : follows).add(group);
        }
        builder.detail("member", service.getId());
        builder.detail("election", how);
        builder.detail("leads", String.join(",", leads));
        builder.detail("follows", String.join(",", follows));
        builder.message("member " + service.getId() + " leads [" + String.join(", ", leads) + "], follows ["
                + String.join(", ", follows) + "]");
        builder.up();
    }
}
