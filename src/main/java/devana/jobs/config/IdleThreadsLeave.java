package devana.jobs.config;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.camel.spi.ThreadPoolFactory;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.util.concurrent.SizedScheduledExecutorService;

/**
 * Camel's thread pools, but a scheduled pool lets a thread go once it has had nothing to do for {@link #IDLE_SECONDS}
 * s, and starts one again when work comes. Camel's master component keeps such a pool per route (its "Leadership"
 * thread) for the few seconds a leadership change takes, then never uses it again: with two master routes per account,
 * a hundred accounts held two hundred idle threads (docs/benchmarks.md, where the memory of 100 accounts goes). A pool
 * with a task waiting for its time keeps a thread for it (ThreadPoolExecutor never lets its last thread go while its
 * queue holds a task), so a periodic task is not delayed by this.
 */
final class IdleThreadsLeave implements ThreadPoolFactory {

    static final long IDLE_SECONDS = 60;

    private final ThreadPoolFactory camel;

    IdleThreadsLeave(ThreadPoolFactory camel) {
        this.camel = camel;
    }

    @Override
    public ExecutorService newCachedThreadPool(ThreadFactory threadFactory) {
        return camel.newCachedThreadPool(threadFactory);
    }

    @Override
    public ExecutorService newThreadPool(ThreadPoolProfile profile, ThreadFactory threadFactory) {
        return camel.newThreadPool(profile, threadFactory);
    }

    @Override
    public ScheduledExecutorService newScheduledThreadPool(ThreadPoolProfile profile, ThreadFactory threadFactory) {
        ScheduledExecutorService pool = camel.newScheduledThreadPool(profile, threadFactory);
        ScheduledThreadPoolExecutor executor = pool instanceof SizedScheduledExecutorService sized
                ? sized.getScheduledThreadPoolExecutor()
                : pool instanceof ScheduledThreadPoolExecutor plain ? plain : null;
        if (executor != null) {
            executor.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
            executor.allowCoreThreadTimeOut(true);
        }
        return pool;
    }
}
