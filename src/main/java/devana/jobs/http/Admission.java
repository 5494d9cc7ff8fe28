package devana.jobs.http;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * At most {@code max} requests of a kind handled at once; up to {@code maxWaiting} more wait their turn
 * (a waiting request holds nothing but its connection, and the request timeout still closes it); any more
 * is refused. Never blocks: a waiting request is paused (Vert.x's rule for a handler that goes on later:
 * its end must not pass unseen) and goes on from its own event loop when a slot frees.
 */
final class Admission {

    private final int max;
    private final int maxWaiting;
    private final Deque<Entry> waiting = new ArrayDeque<>();
    private int busy;

    Admission(int max, int maxWaiting) {
        this.max = max;
        this.maxWaiting = maxWaiting;
    }

    /** Runs {@code proceed} now or once a slot frees; false (and nothing runs) when even the queue is full. */
    boolean admit(RoutingContext ctx, Runnable proceed) {
        Entry entry = new Entry(ctx, Vertx.currentContext(), proceed);
        boolean now;
        synchronized (this) {
            if (busy < max) {
                busy++;
                entry.admitted = true;
                now = true;
            } else if (waiting.size() < maxWaiting) {
                waiting.addLast(entry);
                ctx.request().pause();
                now = false;
            } else {
                return false;
            }
        }
        ctx.addEndHandler(done -> finished(entry));
        if (now) {
            proceed.run();
        }
        return true;
    }

    /** The request ended (answered, or its connection gone): its slot goes to the next one waiting. */
    private void finished(Entry entry) {
        Entry next;
        synchronized (this) {
            if (!entry.admitted) {
                waiting.remove(entry);
                return;
            }
            next = waiting.pollFirst();
            if (next == null) {
                busy--;
                return;
            }
            next.admitted = true;
        }
        if (next.context != null) {
            next.context.runOnContext(go -> next.go());
        } else {
            next.go();
        }
    }

    private static final class Entry {
        final RoutingContext ctx;
        final Context context;
        final Runnable proceed;
        boolean admitted;

        Entry(RoutingContext ctx, Context context, Runnable proceed) {
            this.ctx = ctx;
            this.context = context;
            this.proceed = proceed;
        }

        void go() {
            ctx.request().resume();
            proceed.run();
        }
    }
}
