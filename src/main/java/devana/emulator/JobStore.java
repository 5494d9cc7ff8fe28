package devana.emulator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** All jobs of one emulator, behind a single lock. */
final class JobStore {

    private static final Logger log = LoggerFactory.getLogger(JobStore.class);
    private static final Comparator<EmulatedJob> NEWEST_FIRST =
            Comparator.comparing((EmulatedJob job) -> job.createdAt).thenComparingLong(job -> job.seq).reversed();

    private final Map<String, EmulatedJob> jobs = new LinkedHashMap<>();
    private long nextSeq;

    synchronized void add(EmulatedJob job) {
        if (jobs.containsKey(job.id)) {
            throw new IllegalArgumentException("a job with id " + job.id + " already exists");
        }
        job.seq = nextSeq++;
        jobs.put(job.id, job);
    }

    synchronized <T> T with(String jobId, Function<EmulatedJob, T> action) {
        EmulatedJob job = jobs.get(jobId);
        if (job == null) {
            throw new IllegalArgumentException("no job with id " + jobId);
        }
        return action.apply(job);
    }

    /** One page of what GET /v1/jobs shows; null filters match everything. */
    synchronized List<Map<String, Object>> page(Instant now, String targetId, String status, int offset, int limit) {
        return jobs.values().stream()
                .filter(job -> job.visibleAt(now))
                .filter(job -> targetId == null || targetId.equals(job.targetId))
                .filter(job -> status == null || status.equals(job.status))
                .sorted(NEWEST_FIRST)
                .skip(offset)
                .limit(limit)
                .map(EmulatedJob::toJson)
                .toList();
    }

    synchronized int visibleCount(Instant now) {
        return (int) jobs.values().stream().filter(job -> job.visibleAt(now)).count();
    }

    /** Metadata of the newest job of that type on that target, so a retry describes the same file or folder. */
    synchronized Map<String, Object> latestMetadata(String targetId, String type) {
        return jobs.values().stream()
                .filter(job -> job.targetId.equals(targetId) && job.type.equals(type) && job.metadata != null)
                .min(NEWEST_FIRST)
                .map(job -> (Map<String, Object>) new LinkedHashMap<>(job.metadata))
                .orElse(null);
    }

    /** Moves time-driven jobs on; returns the jobs whose status changed, as the API shows them. */
    synchronized List<Map<String, Object>> advance(Instant now) {
        List<Map<String, Object>> changed = new ArrayList<>();
        for (EmulatedJob job : jobs.values()) {
            String before = job.advance(now);
            if (before != null) {
                log.debug("job {} {} target {}: {} -> {}", job.id, job.type, job.targetId, before, job.status);
                changed.add(job.toJson());
            }
        }
        return changed;
    }
}
