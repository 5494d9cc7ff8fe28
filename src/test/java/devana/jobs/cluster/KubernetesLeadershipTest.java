package devana.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.health.LeadershipCheck;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.master.MasterComponent;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes Lease election (camel.cluster.kubernetes.*) of two instances against fabric8's mock API server in
 * CRUD mode: each instance is a CamelContext with its own
 * {@link org.apache.camel.component.kubernetes.cluster.KubernetesClusterService}, built by {@link Leadership.Leases}
 * as the app builds it, and a {@code master:} timer route in the group of an account's poll.
 * <p>
 * What Camel 4.14's Lease election does, and these tests rely on: a Lease is valid while its holderIdentity names a
 * member, and the members are the pods of the namespace that are Running and Ready (listed from the API server on
 * every try, so the pods are created here). The Lease's renewTime and leaseDurationSeconds are written, never used
 * to decide: a leader whose CamelContext has stopped keeps its Lease as long as its Pod is Running and Ready, and the
 * follower takes over once the Pod is gone, as it is once the process has ended. A pod that takes a Lease over from
 * another holder leads one lease duration later; the first leader of a group, which creates the Lease, at once. The
 * master component starts a new leader's routes 1 s after its leadership (a delay fixed in Camel 4.14's
 * MasterConsumer; back-off-delay is the time between two tries).
 */
class KubernetesLeadershipTest {

    private static final String NAMESPACE = "devana";
    private static final String GROUP = "devana-jobs-account-default";
    private static final String RESOURCE_NAME = "devana-jobs";
    private static final long LEASE_MILLIS = 3000;
    private static final long RENEW_DEADLINE_MILLIS = 2000;
    private static final long RETRY_MILLIS = 500;
    /** Camel's default jitter: a try comes every retry period to 1.2 times it. */
    private static final long SLOWEST_TRY_MILLIS = RETRY_MILLIS * 6 / 5;
    /** What the master component waits for before it starts a new leader's routes. */
    private static final long MASTER_START_MILLIS = 1000;

    /** The client's own configuration read from system properties: none of this machine's kube config or token. */
    private static final Map<String, String> CLIENT_PROPERTIES = Map.of(
            "kubernetes.auth.tryKubeConfig", "false",
            "kubernetes.auth.tryServiceAccount", "false",
            "kubernetes.namespace", NAMESPACE);
    /** The mock server logs every request at INFO (java.util.logging); held here so that its level stays set. */
    private static final Logger MOCK_SERVER_LOG = Logger.getLogger(MockWebServer.class.getName());

    private final Map<String, Optional<String>> savedProperties = new LinkedHashMap<>();
    private final List<Instance> instances = new ArrayList<>();
    private KubernetesMockServer server;
    private KubernetesClient client;
    private String masterUrl;

    /** One instance of the app, reduced to its cluster service and a master: timer route that counts its ticks. */
    private record Instance(String pod, DefaultCamelContext context, CamelClusterService service, LeadershipCheck check,
                            AtomicInteger ticks) {

        boolean leads() {
            return service.isLeader(GROUP);
        }

        String readiness() {
            HealthCheck.Result result = check.call();
            assertThat(result.getState()).isEqualTo(HealthCheck.State.UP);
            return result.getMessage().orElseThrow();
        }

        Optional<String> leaderItSees() throws Exception {
            return service.getView(GROUP).getLeader().map(CamelClusterMember::getId);
        }
    }

    @BeforeEach
    void startApiServer() {
        CLIENT_PROPERTIES.forEach((key, value) -> {
            savedProperties.put(key, Optional.ofNullable(System.getProperty(key)));
            System.setProperty(key, value);
        });
        MOCK_SERVER_LOG.setLevel(Level.WARNING);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(),
                false);
        server.init();
        client = server.createClient();
        masterUrl = client.getConfiguration().getMasterUrl();
        runningAndReadyPod("pod-a");
        runningAndReadyPod("pod-b");
    }

    @AfterEach
    void stopEverything() throws Exception {
        try {
            for (Instance instance : instances) {
                instance.context().close();
            }
        } finally {
            instances.clear();
            client.close();
            server.destroy();
            savedProperties.forEach((key, value) -> value.ifPresentOrElse(v -> System.setProperty(key, v),
                    () -> System.clearProperty(key)));
            savedProperties.clear();
        }
    }

    @Test
    void one_instance_leads_the_group_and_the_lease_names_its_pod_while_the_other_follows() throws Exception {
        Instance a = start("pod-a");
        Instance b = start("pod-b");

        Instance leader = awaitOneLeader(a, b);
        Instance follower = leader == a ? b : a;
        assertThat(follower.ticks().get()).isZero();
        assertThat(follower.leads()).isFalse();

        Lease lease = theOnlyLease();
        assertThat(lease.getMetadata().getName()).isEqualTo("devana-jobs-devana-jobs-account-default");
        assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader.pod());
        assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(3);
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(leader.readiness()).isEqualTo("member " + leader.pod() + " leads [" + GROUP + "], follows []"));
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(follower.readiness()).isEqualTo("member " + follower.pod() + " leads [], follows [" + GROUP + "]"));
        await().atMost(Duration.ofMillis(2 * SLOWEST_TRY_MILLIS + 1000))
                .untilAsserted(() -> assertThat(follower.leaderItSees()).contains(leader.pod()));

        // over a further lease duration the follower follows and the leader, which renews its Lease, goes on ticking
        int leaderTicks = leader.ticks().get();
        await().during(Duration.ofMillis(LEASE_MILLIS)).atMost(Duration.ofMillis(LEASE_MILLIS + 1000))
                .until(() -> follower.ticks().get() == 0 && !follower.leads() && leader.leads());
        assertThat(leader.ticks().get()).isGreaterThan(leaderTicks + 10);
        assertThat(theOnlyLease().getSpec().getHolderIdentity()).isEqualTo(leader.pod());
    }

    @Test
    void the_follower_takes_the_lease_over_once_the_stopped_leaders_pod_is_gone() throws Exception {
        Instance a = start("pod-a");
        Instance b = start("pod-b");
        Instance leader = awaitOneLeader(a, b);
        Instance follower = leader == a ? b : a;

        leader.context().stop();
        int stoppedAt = leader.ticks().get();
        // its Pod still Running and Ready, the stopped leader's Lease stays valid past its duration: nobody leads
        await().during(Duration.ofMillis(LEASE_MILLIS + SLOWEST_TRY_MILLIS))
                .atMost(Duration.ofMillis(LEASE_MILLIS + SLOWEST_TRY_MILLIS + 1000))
                .until(() -> follower.ticks().get() == 0 && !follower.leads());
        assertThat(theOnlyLease().getSpec().getHolderIdentity()).isEqualTo(leader.pod());

        // the process has ended, and Kubernetes removes its Pod
        long removed = System.nanoTime();
        client.pods().inNamespace(NAMESPACE).withName(leader.pod()).delete();
        long deleteMillis = millisSince(removed);

        // the follower's next try takes the Lease, it leads one lease duration later and ticks once the master
        // component has started its timer
        await().atMost(Duration.ofMillis(2 * SLOWEST_TRY_MILLIS + 1000))
                .until(() -> follower.pod().equals(theOnlyLease().getSpec().getHolderIdentity()));
        long takenMillis = millisSince(removed);
        await().atMost(Duration.ofMillis(LEASE_MILLIS + 2 * SLOWEST_TRY_MILLIS + 1000)).until(follower::leads);
        long leadsMillis = millisSince(removed);
        await().atMost(Duration.ofMillis(MASTER_START_MILLIS + 1000)).until(() -> follower.ticks().get() > 0);
        long ticksMillis = millisSince(removed);
        System.out.println("KubernetesLeadershipTest: from the DELETE of the Pod of " + leader.pod() + " (answered in "
                + deleteMillis + " ms), " + follower.pod() + " held the Lease in " + takenMillis + " ms, led in " + leadsMillis
                + " ms, ticked in " + ticksMillis + " ms");
        assertThat(leadsMillis).as("ms from the Pod's removal to leading").isGreaterThanOrEqualTo(LEASE_MILLIS);

        assertThat(follower.leads()).isTrue();
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(follower.readiness()).isEqualTo("member " + follower.pod() + " leads [" + GROUP + "], follows []"));
        assertThat(leader.ticks().get()).isEqualTo(stoppedAt);
        assertThat(theOnlyLease().getSpec().getLeaseTransitions()).isEqualTo(1);
    }

    @Test
    void a_leader_whose_lease_another_holder_takes_stops_its_routes() throws Exception {
        runningAndReadyPod("pod-c");
        Instance a = start("pod-a");
        Instance b = start("pod-b");
        Instance leader = awaitOneLeader(a, b);
        Instance follower = leader == a ? b : a;

        // pod-c, a Running and Ready pod without this app, writes itself into the Lease as a Kubernetes client would
        // (again if the leader renewed it in between: 409 Conflict)
        ZonedDateTime now = ZonedDateTime.now();
        long taken = System.nanoTime();
        await().atMost(Duration.ofSeconds(5)).ignoreException(KubernetesClientException.class)
                .until(() -> client.leases().inNamespace(NAMESPACE).withName(theOnlyLease().getMetadata().getName())
                        .edit(lease -> new LeaseBuilder(lease).editSpec().withHolderIdentity("pod-c").withAcquireTime(now)
                                .withRenewTime(now).endSpec().build()) != null);

        // seen at the leader's next try; should that try's renewal have met pod-c's write (409), Camel 4.14's
        // controller stops there and the leadership it last saw expires one renew deadline later
        await().atMost(Duration.ofMillis(RENEW_DEADLINE_MILLIS + 2 * SLOWEST_TRY_MILLIS + 1000)).until(() -> !leader.leads());
        System.out.println("KubernetesLeadershipTest: " + leader.pod() + " stepped down " + millisSince(taken)
                + " ms after pod-c took its Lease; the leader it sees: " + leader.leaderItSees().orElse("none"));
        AtomicInteger last = new AtomicInteger(-1);
        await().pollInterval(Duration.ofMillis(300)).atMost(Duration.ofSeconds(3)).until(() -> {
            int sampled = leader.ticks().get();
            return last.getAndSet(sampled) == sampled;
        });
        int stoppedAt = leader.ticks().get();

        // pod-c never renews the Lease, and it stays pod-c's past its duration: nobody here leads
        await().during(Duration.ofMillis(LEASE_MILLIS)).atMost(Duration.ofMillis(LEASE_MILLIS + 1000))
                .until(() -> leader.ticks().get() == stoppedAt && follower.ticks().get() == 0
                        && !leader.leads() && !follower.leads());
        assertThat(theOnlyLease().getSpec().getHolderIdentity()).isEqualTo("pod-c");
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> assertThat(leader.readiness()).isEqualTo("member " + leader.pod() + " leads [], follows [" + GROUP + "]"));
        assertThat(leader.leaderItSees()).isNotEqualTo(Optional.of(leader.pod()));
        assertThat(follower.leaderItSees()).contains("pod-c");
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }

    /** Both instances started at once: one of them leads (and ticks) the group, the other's ticks stay at 0. */
    private Instance awaitOneLeader(Instance a, Instance b) {
        await().atMost(Duration.ofSeconds(10)).until(() -> (a.ticks().get() > 0) != (b.ticks().get() > 0));
        Instance leader = a.ticks().get() > 0 ? a : b;
        assertThat(leader.leads()).isTrue();
        return leader;
    }

    /** An instance as the app starts one: the cluster service of Leadership.Leases and the master component's options. */
    private Instance start(String pod) throws Exception {
        return start(pod, 0, List.of(GROUP));
    }

    /** An instance with a master: timer route in each of these groups, spreading them every period (0: never). */
    private Instance start(String pod, long rebalancingMillis, List<String> groups) throws Exception {
        DefaultCamelContext context = new DefaultCamelContext();
        context.getCamelContextExtension().setName(pod);
        Leadership.Leases leases = new Leadership.Leases(NAMESPACE, pod, masterUrl, RESOURCE_NAME, LEASE_MILLIS,
                RENEW_DEADLINE_MILLIS, RETRY_MILLIS, Map.of("app", "devana-jobs"), rebalancingMillis);
        CamelClusterService service = leases.service("member-of-" + pod);
        context.addService(service, true, true);
        MasterComponent master = new MasterComponent();
        master.setBackOffMaxAttempts(1);
        master.setBackOffDelay(1000);
        context.addComponent("master", master);
        AtomicInteger ticks = new AtomicInteger();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                for (String group : groups) {
                    from("master:" + group + ":timer:" + group + "?period=100&delay=0").routeId("ticks-" + group)
                            .process(exchange -> ticks.incrementAndGet());
                }
            }
        });
        LeadershipWatch watch = new LeadershipWatch(context, service);
        context.addService(watch, true, true);
        LeadershipCheck check = new LeadershipCheck(watch, leases.describe());
        check.setCamelContext(context);
        Instance instance = new Instance(pod, context, service, check, ticks);
        instances.add(instance);
        context.start();
        return instance;
    }

    @Test
    void spreads_four_accounts_over_two_instances_and_the_survivor_takes_all_of_them_back() throws Exception {
        List<String> accounts = List.of("devana-jobs-account-a1", "devana-jobs-account-a2", "devana-jobs-account-a3",
                "devana-jobs-account-a4");
        long started = System.nanoTime();
        Instance a = start("pod-a", RETRY_MILLIS, accounts);
        Instance b = start("pod-b", RETRY_MILLIS, accounts);

        // within two lease periods each leads ceil(4 / 2) = 2 accounts, and every account has its leader
        await().atMost(Duration.ofMillis(2 * LEASE_MILLIS + MASTER_START_MILLIS + 2000)).pollInterval(Duration.ofMillis(100))
                .until(() -> led(a, accounts).size() == 2 && led(b, accounts).size() == 2
                        && leaseHolders(accounts).size() == 4 && leaseHolders(accounts).values().stream().distinct().count() == 2);
        System.out.println("KubernetesLeadershipTest: 4 accounts spread 2 + 2 over two pods " + millisSince(started)
                + " ms after they started: " + leaseHolders(accounts));
        assertThat(led(a, accounts)).doesNotContainAnyElementsOf(led(b, accounts));
        // and it stays so
        await().during(Duration.ofMillis(LEASE_MILLIS)).atMost(Duration.ofMillis(LEASE_MILLIS + 1000))
                .until(() -> led(a, accounts).size() == 2 && led(b, accounts).size() == 2);

        // one instance dies (its context stops and its Pod goes): the other leads all four
        Instance dead = a;
        Instance survivor = b;
        dead.context().close();
        long deleted = System.nanoTime();
        client.pods().inNamespace(NAMESPACE).withName(dead.pod()).delete();
        await().atMost(Duration.ofMillis(2 * LEASE_MILLIS + MASTER_START_MILLIS + 2000)).pollInterval(Duration.ofMillis(100))
                .until(() -> led(survivor, accounts).size() == 4);
        long takenOver = millisSince(deleted);
        System.out.println("KubernetesLeadershipTest: the survivor led all 4 accounts " + takenOver
                + " ms after the other pod was deleted");
        assertThat(leaseHolders(accounts).values()).containsOnly(survivor.pod());
    }

    private static List<String> led(Instance instance, List<String> groups) {
        return groups.stream().filter(instance.service()::isLeader).toList();
    }

    private Map<String, String> leaseHolders(List<String> groups) {
        Map<String, String> holders = new java.util.TreeMap<>();
        for (Lease lease : client.leases().inNamespace(NAMESPACE).list().getItems()) {
            holders.put(lease.getMetadata().getName(), String.valueOf(lease.getSpec().getHolderIdentity()));
        }
        holders.keySet().retainAll(groups.stream().map(group -> RESOURCE_NAME + "-" + group).toList());
        return holders;
    }

    private Lease theOnlyLease() {
        List<Lease> leases = client.leases().inNamespace(NAMESPACE).list().getItems();
        assertThat(leases).hasSize(1);
        return leases.get(0);
    }

    /** A member of the election: Camel counts the namespace's pods that are Running and Ready. */
    private void runningAndReadyPod(String name) {
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(NAMESPACE)
                .addToLabels("app", "devana-jobs").endMetadata()
                .withNewSpec().addNewContainer().withName("devana-jobs").withImage("devana-jobs").endContainer().endSpec()
                .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("True").endCondition()
                .endStatus().build();
        client.pods().inNamespace(NAMESPACE).resource(pod).create();
        assertThat(client.pods().inNamespace(NAMESPACE).withName(name).get().getStatus().getPhase()).isEqualTo("Running");
    }
}
