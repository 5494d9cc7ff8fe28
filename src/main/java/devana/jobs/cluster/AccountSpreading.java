package devana.jobs.cluster;

import java.util.List;
import org.apache.camel.cluster.CamelPreemptiveClusterService;
import org.apache.camel.support.cluster.RebalancingCamelClusterService;

/**
 * Spreads the accounts' leadership groups over the instances, with Camel's own rebalancing: every period each instance
 * counts the members its views see (N) and the account groups (M), and leads at most ceil(M/N) of them, stepping out
 * of the election of the others (a disabled view of Camel's preemptive service) so that another instance takes them.
 * Only the accounts' groups ({@link #ACCOUNT_GROUP_PREFIX}) are spread; the outbox and housekeeping groups are elected
 * as before, so an instance may lead those besides its share of accounts.
 */
public final class AccountSpreading extends RebalancingCamelClusterService {

    /** The leadership group of an account's poll and retries is this prefix and the account's name. */
    public static final String ACCOUNT_GROUP_PREFIX = "devana-jobs-account-";

    public AccountSpreading(CamelPreemptiveClusterService delegate, long periodMillis) {
        super(delegate, periodMillis);
    }

    @Override
    protected List<String> partitionList() {
        return super.partitionList().stream().filter(group -> group.startsWith(ACCOUNT_GROUP_PREFIX)).toList();
    }
}
