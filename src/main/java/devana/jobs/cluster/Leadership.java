package devana.jobs.cluster;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.component.kubernetes.cluster.LeaseResourceType;

/**
 * Which of Camel's cluster services elects, for each group of timer routes (an account's poll and retries,
 * the outbox publisher, housekeeping), the one instance that runs them: the routes say {@code master:<group>:timer:...}
 * (the groups are named there) and the service chosen here decides. Read from the camel.cluster.* keys (application.properties); Camel Main
 * 4.14 has no such keys of its own (its Spring Boot and Quarkus runtimes do, under the same names), so they are
 * read by this app and handed to Camel's own services.
 */
public sealed interface Leadership {

    /** The Camel service, not started: the context starts it with itself. */
    CamelClusterService service(String memberId);

    /** What the startup line and readiness say about it. */
    String describe();

    /** No service enabled: this instance leads every group, as one instance always did. */
    record Solo() implements Leadership {
        @Override
        public CamelClusterService service(String memberId) {
            return new SoloClusterService(memberId);
        }

        @Override
        public String describe() {
            return "none (this instance runs every timer route)";
        }
    }

    /** camel.cluster.file.*: one lock file per group in a folder that every instance shares. */
    record FileLocks(Path root, long acquireLockDelayMillis, long acquireLockIntervalMillis) implements Leadership {
        @Override
        public CamelClusterService service(String memberId) {
            FileLockClusterService service = new FileLockClusterService();
            service.setId(memberId);
            service.setRoot(root.toString());
            service.setAcquireLockDelay(acquireLockDelayMillis, TimeUnit.MILLISECONDS);
            service.setAcquireLockInterval(acquireLockIntervalMillis, TimeUnit.MILLISECONDS);
            return service;
        }

        @Override
        public String describe() {
            return "file locks in " + root + " (a lock is tried every " + acquireLockIntervalMillis + " ms)";
        }
    }

    /**
     * camel.cluster.kubernetes.*: one coordination.k8s.io Lease per group, named {@code <resourceName>-<group>}.
     * Namespace, pod name and API server default to what the pod is given (the client's in-cluster configuration).
     */
    record Leases(String namespace, String podName, String masterUrl, String resourceName,
                  long leaseDurationMillis, long renewDeadlineMillis, long retryPeriodMillis,
                  Map<String, String> clusterLabels, long rebalancingPeriodMillis) implements Leadership {

        /** Camel's Lease service, its accounts spread over the members (AccountSpreading) unless the period is 0. */
        @Override
        public CamelClusterService service(String memberId) {
            KubernetesClusterService leases = leases(memberId);
            return rebalancingPeriodMillis > 0 ? new AccountSpreading(leases, rebalancingPeriodMillis) : leases;
        }

        private KubernetesClusterService leases(String memberId) {
            KubernetesClusterService service = new KubernetesClusterService();
            service.setId(podName != null ? podName : memberId);
            if (podName != null) {
                service.setPodName(podName);
            }
            if (namespace != null) {
                service.setKubernetesNamespace(namespace);
            }
            if (masterUrl != null) {
                service.setMasterUrl(masterUrl);
            }
            service.setLeaseResourceType(LeaseResourceType.Lease);
            service.setKubernetesResourceName(resourceName);
            service.setLeaseDurationMillis(leaseDurationMillis);
            service.setRenewDeadlineMillis(renewDeadlineMillis);
            service.setRetryPeriodMillis(retryPeriodMillis);
            // the members are the pods with these labels (the Deployment's): what the accounts are spread over
            service.setClusterLabels(Map.copyOf(clusterLabels));
            return service;
        }

        @Override
        public String describe() {
            return "Kubernetes Leases " + resourceName + "-*" + (namespace == null ? "" : " in namespace " + namespace)
                    + " (lease " + leaseDurationMillis + " ms" + (rebalancingPeriodMillis > 0 ? ", accounts spread over the pods "
                    + clusterLabels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList() : "") + ")";
        }
    }
}
