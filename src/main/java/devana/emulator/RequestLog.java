package devana.emulator;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** What the emulator received: every request answered (the latest 50,000), the accepted retry calls, and who listens. */
final class RequestLog {

    private static final int MAX_RECORDED_REQUESTS = 50_000;

    private final Deque<RecordedRequest> requests = new ArrayDeque<>();
    private final List<RetryRequest> retryRequests = new CopyOnWriteArrayList<>();
    private final List<Consumer<RecordedRequest>> listeners = new CopyOnWriteArrayList<>();

    /** Tells the listeners of a request that arrived and is not answered yet (status 0). */
    void arriving(RecordedRequest request) {
        listeners.forEach(listener -> listener.accept(request));
    }

    void answered(RecordedRequest request) {
        synchronized (requests) {
            if (requests.size() == MAX_RECORDED_REQUESTS) {
                requests.removeFirst();
            }
            requests.addLast(request);
        }
    }

    void retried(RetryRequest request) {
        retryRequests.add(request);
    }

    void addListener(Consumer<RecordedRequest> beforeResponse) {
        listeners.add(beforeResponse);
    }

    List<RecordedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    List<RetryRequest> retryRequests() {
        return List.copyOf(retryRequests);
    }

    void clear() {
        synchronized (requests) {
            requests.clear();
        }
        retryRequests.clear();
    }
}
