package devana.bench;

import devana.emulator.DevanaEmulator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The benchmark's workload, driven from one seed (java.util.Random(seed)): 1,100 visible jobs of which
 * 100 are active, and every tick the same four things happen to them:
 * <ol>
 * <li>one running job, drawn at random, finishes: ERROR at its type's failure rate, else DONE;</li>
 * <li>the job waiting longest starts (PENDING -> IN_PROGRESS);</li>
 * <li>three running jobs drawn at random move on (progress +5..+20, at most 95);</li>
 * <li>a new job arrives (PENDING), and the oldest finished job leaves the visible set, so that the
 * API keeps showing 1,100 jobs (also when retry POSTs added jobs).</li>
 * </ol>
 * The starting state is this same process run for 1,100 ticks in virtual time, so the 100 active jobs
 * sit at the depths that steady state gives them (some far below the newest page). Those 1,000
 * finished jobs are all DONE: neither client starts with a backlog of old failures to retry.
 * Two workloads with the same seed make the same moves in the same order, whatever the client does.
 */
final class ScenarioWorkload {

    static final int VISIBLE = 1100;
    static final int ACTIVE = 100;
    private static final int HISTORY_TICKS = 1100;

    /** A job moved to DONE or ERROR by the workload, and when (wall clock, taken just before the move). */
    record Transition(String jobId, String targetId, String type, String status, Instant at) {
        boolean retriableFailure() {
            return "ERROR".equals(status) && JobKinds.retriable(type);
        }
    }

    private static final class Job {
        final String id;
        final String targetId;
        final String type;
        final Map<String, Object> metadata;
        final long createdTick;
        String status = "PENDING";
        int progress;

        Job(String id, String targetId, String type, Map<String, Object> metadata, long createdTick) {
            this.id = id;
            this.targetId = targetId;
            this.type = type;
            this.metadata = metadata;
            this.createdTick = createdTick;
        }
    }

    private final Random random;
    private final Duration tick;
    private final List<Job> running = new ArrayList<>();
    private final Deque<Job> waiting = new ArrayDeque<>();
    private final PriorityQueue<Job> finished = new PriorityQueue<>(Comparator.comparingLong(job -> job.createdTick));
    private final List<Transition> transitions = new ArrayList<>();
    private final Map<String, Job> all = new LinkedHashMap<>();
    private DevanaEmulator emulator;
    private Consumer<String> arrivals = target -> { };
    private long ticks;

    ScenarioWorkload(long seed, Duration tick) {
        this.random = new Random(seed);
        this.tick = tick;
        for (int i = 0; i < ACTIVE; i++) {
            Job job = newJob();
            job.status = "IN_PROGRESS";
            running.add(job);
        }
        for (int i = 0; i < HISTORY_TICKS; i++) {
            step(true);
        }
        while (finished.size() > VISIBLE - ACTIVE) {
            all.remove(finished.poll().id);
        }
    }

    /** Puts the starting state into the emulator, createdAt spread back from now one tick per arrival. */
    void install(DevanaEmulator target, Instant now) {
        this.emulator = target;
        target.setRetryOutcome((targetId, type) -> devana.emulator.RetryOutcome.SUCCEED);
        for (Job job : all.values()) {
            target.job().id(job.id).target(job.targetId).type(job.type).status(job.status).progress(job.progress)
                    .metadata(job.metadata).error("ERROR".equals(job.status) ? JobKinds.error(job.type) : null)
                    .createdAt(now.minus(tick.multipliedBy(ticks - job.createdTick))).add();
        }
    }

    /** Called with the target id of every job that arrives from now on (the page's user starts a monitor for it). */
    void onArrival(Consumer<String> listener) {
        this.arrivals = listener;
    }

    /** Target ids of the jobs active now. */
    List<String> activeTargets() {
        List<String> targets = new ArrayList<>();
        running.forEach(job -> targets.add(job.targetId));
        waiting.forEach(job -> targets.add(job.targetId));
        return targets;
    }

    /** One live tick against the installed emulator. */
    void tick() {
        step(false);
        while (emulator.visibleJobCount() > VISIBLE && !finished.isEmpty()) {
            emulator.kill(finished.poll().id);
        }
    }

    List<Transition> transitions() {
        return List.copyOf(transitions);
    }

    private void step(boolean history) {
        ticks++;
        if (!running.isEmpty()) {
            Job job = running.remove(random.nextInt(running.size()));
            boolean fails = JobKinds.fails(job.type, random) && !history;
            job.status = fails ? "ERROR" : "DONE";
            if (!fails) {
                job.progress = 100;
            }
            finished.add(job);
            if (!history) {
                transitions.add(new Transition(job.id, job.targetId, job.type, job.status, Instant.now()));
                if (fails) {
                    emulator.fail(job.id, JobKinds.error(job.type));
                } else {
                    emulator.update(job.id, "DONE", 100);
                }
            }
        }
        Job starting = waiting.pollFirst();
        if (starting != null) {
            starting.status = "IN_PROGRESS";
            starting.progress = 0;
            running.add(starting);
            if (!history) {
                emulator.update(starting.id, "IN_PROGRESS", 0);
            }
        }
        for (int i = 0; i < 3 && !running.isEmpty(); i++) {
            Job job = running.get(random.nextInt(running.size()));
            int next = Math.min(95, job.progress + 5 * (1 + random.nextInt(4)));
            if (next != job.progress) {
                job.progress = next;
                if (!history) {
                    emulator.update(job.id, null, next);
                }
            }
        }
        Job arrived = newJob();
        waiting.addLast(arrived);
        if (!history) {
            emulator.job().id(arrived.id).target(arrived.targetId).type(arrived.type).metadata(arrived.metadata).add();
            arrivals.accept(arrived.targetId);
        }
    }

    private Job newJob() {
        String type = JobKinds.type(random);
        Job job = new Job(JobKinds.id("cm4job", random), JobKinds.id(JobKinds.targetPrefix(type), random), type,
                JobKinds.metadata(type, random), ticks);
        all.put(job.id, job);
        return job;
    }
}
