package devana.jobs.health;

import devana.jobs.events.EventOutbox;
import devana.jobs.events.ParkedEvents;
import devana.jobs.text.OneLine;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;

/**
 * The one way the health checks and the metrics ask the database something, so that the probes answer
 * within the kubelet's timeout (1 s) whatever the database does. A round of questions (SELECT 1, then the
 * events waiting in the outbox, then the parked ones) runs on a thread of its own, on one connection of the pool, never on the
 * caller's thread: a caller waits for its answer at most {@link #PATIENCE} from the start of the round, then
 * hears that the database did not answer. At most one round is in flight, and every caller in the meantime
 * joins it: however many checks and scrapes ask, they wait for the same deadline, and once it passed they
 * hear at once (an answer the round already has, or that there is none). The first caller more than
 * {@link #FRESH} after a round ended starts the next (so the probes ask at most once a second, however
 * many callers), and the answer is UP again by itself once the database is back. A round itself is
 * bounded by the pool's connection timeout (waiting for a connection) and {@link #NETWORK_TIMEOUT} (waiting
 * on a socket the database no longer answers on).
 */
public final class DatabaseProbe implements AutoCloseable {

    /** How long a caller waits for the database at most, from the start of the round it joined. */
    public static final Duration PATIENCE = Duration.ofMillis(500);
    /** How long the answers of a round that ended are given again without asking: at most one round a second. */
    static final Duration FRESH = Duration.ofSeconds(1);
    /** How long a round may wait on the database's socket before the driver gives the connection up. */
    static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(5);

    private final DataSource dataSource;
    private final ExecutorService thread;
    private Round round;
    private volatile String lastFailure;

    public DatabaseProbe(DataSource dataSource) {
        this.dataSource = dataSource;
        this.thread = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, "devana-jobs-database-probe");
            t.setDaemon(true);
            return t;
        });
    }

    /** Null when the database answered SELECT 1 within the patience; else why not, on one line. */
    public String unanswered() {
        Round current = join();
        return wait(current, current.selectOne).failure();
    }

    /** The events in the outbox not yet taken by the bus; an IllegalStateException says why when the database did not tell. */
    public long pendingEvents() {
        Outcome outcome = pendingEventsOutcome();
        if (outcome.failure() != null) {
            throw new IllegalStateException(outcome.failure());
        }
        return (Long) outcome.value();
    }

    /** The gauge's value: the events waiting in the outbox, NaN when the database did not tell. */
    public double pendingEventsOrNaN() {
        Outcome outcome = pendingEventsOutcome();
        return outcome.failure() == null ? (Long) outcome.value() : Double.NaN;
    }

    private Outcome pendingEventsOutcome() {
        Round current = join();
        return wait(current, current.pendingEvents);
    }

    /** The events the bus refused for good and that wait for an operator (ParkedEvents); an IllegalStateException says why when the database did not tell. */
    public long parkedEvents() {
        Outcome outcome = parkedEventsOutcome();
        if (outcome.failure() != null) {
            throw new IllegalStateException(outcome.failure());
        }
        return (Long) outcome.value();
    }

    /** The gauge's value: the parked events, NaN when the database did not tell. */
    public double parkedEventsOrNaN() {
        Outcome outcome = parkedEventsOutcome();
        return outcome.failure() == null ? (Long) outcome.value() : Double.NaN;
    }

    private Outcome parkedEventsOutcome() {
        Round current = join();
        return wait(current, current.parkedEvents);
    }

    /** Stops the probe's thread (a round in flight is interrupted). */
    @Override
    public synchronized void close() {
        thread.shutdownNow();
    }

    /** The round in flight or just ended, or a new one. */
    private synchronized Round join() {
        if (round == null || round.endedBefore(System.nanoTime() - FRESH.toNanos())) {
            Round next = new Round(System.nanoTime() + PATIENCE.toNanos());
            if (!thread.isShutdown()) {
                thread.execute(() -> run(next));
                round = next;
            } else {
                next.end(new Outcome(null, "the app is stopping"));
                return next;
            }
        }
        return round;
    }

    /** The answer, waited for until the round's deadline at most. */
    private Outcome wait(Round current, CompletableFuture<Outcome> answer) {
        try {
            return answer.get(Math.max(0, current.deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            String last = lastFailure;
            return new Outcome(null, "database did not answer within " + PATIENCE.toMillis() + " ms"
                    + (last == null ? "" : " (last failure: " + last + ")"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(null, "interrupted while waiting for the database");
        } catch (ExecutionException e) {
            return new Outcome(null, "database unavailable: " + OneLine.of(e.getCause()));
        }
    }

    /** One round, on the probe's thread: every question on one connection. */
    private void run(Round round) {
        try (Connection connection = dataSource.getConnection()) {
            try {
                connection.setNetworkTimeout(Runnable::run, (int) NETWORK_TIMEOUT.toMillis());
            } catch (SQLFeatureNotSupportedException e) {
                // a driver without one: the pool's connection timeout still bounds the wait for a connection
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT 1");
            }
            round.selectOne.complete(new Outcome(true, null));
            round.pendingEvents.complete(new Outcome(EventOutbox.pending(connection), null));
            round.parkedEvents.complete(new Outcome(ParkedEvents.count(connection, null), null));
            lastFailure = null;
        } catch (SQLException | RuntimeException e) {
            String failure = OneLine.of(e);
            lastFailure = failure;
            round.end(new Outcome(null, "database unavailable: " + failure));
        } finally {
            round.end(new Outcome(null, "the round ended without an answer"));
            round.endedAt = System.nanoTime();
            round.over = true;
        }
    }

    /** A value, or why there is none. */
    private record Outcome(Object value, String failure) {
    }

    /** One round of questions: its answers as they come, and until when its callers wait. */
    private static final class Round {
        final long deadline;
        final CompletableFuture<Outcome> selectOne = new CompletableFuture<>();
        final CompletableFuture<Outcome> pendingEvents = new CompletableFuture<>();
        final CompletableFuture<Outcome> parkedEvents = new CompletableFuture<>();
        volatile long endedAt;
        volatile boolean over;

        Round(long deadline) {
            this.deadline = deadline;
        }

        boolean endedBefore(long nanos) {
            return over && endedAt - nanos < 0;
        }

        /** Every question not answered yet gets this outcome. */
        void end(Outcome outcome) {
            selectOne.complete(outcome);
            pendingEvents.complete(outcome);
            parkedEvents.complete(outcome);
        }
    }
}
