package devana.jobs.health;

import devana.jobs.cluster.LeadershipWatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;

/**
 * Readiness detail: which groups of timer routes (an account's poll, the outbox, housekeeping) this instance
 * leads and which it follows. Always UP: a follower serves the webhook, the dashboard and /api like a leader,
 * and taking it out of a Service would only lose pushes. Read from LeadershipWatch, so that it answers at once.
 */
public class LeadershipCheck extends ReadinessCheck {

    private final LeadershipWatch watch;
    private final String how;

    public LeadershipCheck(LeadershipWatch watch, String how) {
        super("leadership");
        this.watch = watch;
        this.how = how;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        List<String> leads = new ArrayList<>();
        List<String> follows = new ArrayList<>();
        watch.groups().forEach((group, leader) -> (leader ? leads : follows).add(group));
        builder.detail("member", watch.member());
        builder.detail("election", how);
        builder.detail("leads", String.join(",", leads));
        builder.detail("follows", String.join(",", follows));
        builder.message("member " + watch.member() + " leads [" + String.join(", ", leads) + "], follows ["
                + String.join(", ", follows) + "]");
        builder.up();
    }
}
