package devana.jobs.cluster;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.cluster.AbstractCamelClusterService;
import org.apache.camel.support.cluster.AbstractCamelClusterView;

/**
 * The cluster service of one instance on its own (no camel.cluster.* service enabled): it leads every group at
 * once, so that the master: routes run as plain timers, as they did before there was leader election. Nothing
 * is locked or shared: a second instance configured this way leads too, and only the database keeps the two
 * from doing a thing twice.
 * <p>
 * Like the other services, it takes a group's leadership on a thread of its own, once every route of the context
 * has started: the master: consumer starts its timer on that thread (a second later), not on the one that starts
 * the routes in turn, and no tick reaches a route whose steps are not started yet. It steps down when the
 * context begins to stop, so that each timer stops before its route does.
 */
final class SoloClusterService extends AbstractCamelClusterService<SoloClusterService.View> {

    private final List<View> views = new CopyOnWriteArrayList<>();
    private ExecutorService leadershipThreads;

    SoloClusterService(String id) {
        super(id);
    }

    @Override
    protected void doStart() throws Exception {
        leadershipThreads = getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "SoloLeadership");
        // A stopping instance leads nothing: the timers stop before the context stops their routes' steps, so
        // that no tick starts a cycle in a route that is being taken apart.
        EventNotifierSupport stopping = new EventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                views.forEach(View::stepDown);
            }

            @Override
            public boolean isEnabled(CamelEvent event) {
                return event instanceof CamelEvent.CamelContextStoppingEvent;
            }
        };
        getCamelContext().getManagementStrategy().addEventNotifier(stopping);
        ServiceHelper.startService(stopping);
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        getCamelContext().getExecutorServiceManager().shutdown(leadershipThreads);
    }

    @Override
    protected View createView(String namespace) {
        View view = new View(this, namespace);
        views.add(view);
        return view;
    }

    static final class View extends AbstractCamelClusterView {

        private final CamelClusterMember self;
        private volatile boolean leading;

        View(SoloClusterService service, String namespace) {
            super(service, namespace);
            this.self = new CamelClusterMember() {
                @Override
                public boolean isLeader() {
                    return leading;
                }

                @Override
                public boolean isLocal() {
                    return true;
                }

                @Override
                public String getId() {
                    return service.getId();
                }
            };
        }

        @Override
        public Optional<CamelClusterMember> getLeader() {
            return leading ? Optional.of(self) : Optional.empty();
        }

        @Override
        public CamelClusterMember getLocalMember() {
            return self;
        }

        @Override
        public List<CamelClusterMember> getMembers() {
            return List.of(self);
        }

        @Override
        protected void doStart() throws Exception {
            SoloClusterService service = (SoloClusterService) getClusterService();
            Runnable lead = () -> service.leadershipThreads.submit(() -> {
                leading = true;
                fireLeadershipChangedEvent(self);
            });
            if (service.getCamelContext().isStarted()) {
                lead.run();
            } else {
                service.getCamelContext().addStartupListener(new StartupListener() {
                    @Override
                    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
                        // leadership only once every route is started (onCamelContextFullyStarted below)
                    }

                    @Override
                    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
                        lead.run();
                    }
                });
            }
        }

        @Override
        protected void doStop() {
            leading = false;
        }

        void stepDown() {
            if (leading) {
                leading = false;
                fireLeadershipChangedEvent(Optional.empty());
            }
        }
    }
}
