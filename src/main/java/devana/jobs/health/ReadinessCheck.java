package devana.jobs.health;

import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * A check of this app's readiness (served at /observe/health/ready), never of its liveness: a database or
 * an API that is down makes the instance not ready, it never gets it restarted.
 */
abstract class ReadinessCheck extends AbstractHealthCheck {

    ReadinessCheck(String id) {
        super("devana-jobs", id);
    }

    @Override
    public boolean isLiveness() {
        return false;
    }
}
