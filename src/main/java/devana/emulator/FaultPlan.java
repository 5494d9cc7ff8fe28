package devana.emulator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The faults injected and not yet used up, in the order injected. */
final class FaultPlan {

    private static final Logger log = LoggerFactory.getLogger(FaultPlan.class);

    private record PendingFault(String methodAndPathPrefix, Fault fault, AtomicInteger remaining) {
    }

    private final List<PendingFault> faults = new ArrayList<>();

    /** The next {@code times} requests whose "METHOD /path" starts with the prefix get this fault. */
    void inject(String methodAndPathPrefix, Fault fault, int times) {
        if (times < 1) {
            throw new IllegalArgumentException("times must be >= 1");
        }
        synchronized (faults) {
            faults.add(new PendingFault(methodAndPathPrefix, fault, new AtomicInteger(times)));
        }
    }

    void clear() {
        synchronized (faults) {
            faults.clear();
        }
    }

    /**
     * Uses up the first fault for this request, waiting out its delay: the canned answer it gives instead
     * of the normal one, or null when the request is answered normally (no fault, or a slow one).
     */
    HttpAnswer answer(String method, String path) throws InterruptedException {
        Fault fault = take(method + " " + path);
        if (fault == null) {
            return null;
        }
        log.info("injected fault on {} {}: status {}, delay {} ms", method, path,
                fault.answersNormally() ? "normal" : fault.status(), fault.delay().toMillis());
        if (!fault.delay().isZero()) {
            Thread.sleep(fault.delay().toMillis());
        }
        if (fault.answersNormally()) {
            return null;
        }
        return new HttpAnswer(fault.status(), fault.contentType(),
                fault.body() == null ? new byte[0] : fault.body().getBytes(StandardCharsets.UTF_8), fault.headers());
    }

    private Fault take(String methodAndPath) {
        synchronized (faults) {
            for (Iterator<PendingFault> it = faults.iterator(); it.hasNext(); ) {
                PendingFault pending = it.next();
                if (methodAndPath.startsWith(pending.methodAndPathPrefix())) {
                    if (pending.remaining().decrementAndGet() == 0) {
                        it.remove();
                    }
                    return pending.fault();
                }
            }
            return null;
        }
    }
}
