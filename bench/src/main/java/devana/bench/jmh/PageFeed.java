package devana.bench.jmh;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import devana.bench.JobKinds;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The newest page (100 jobs, as GET /v1/jobs?limit=100&offset=0 answers it) that the poll route gets
 * on each cycle, for three mixes:
 * <ul>
 * <li>{@code steady}: what one 5 s cycle of the scenario brings: 3 jobs arrive on top (3 leave at
 * the bottom), 3 finish (DONE, or ERROR at the type's failure rate), 3 start, 6 make progress;
 * the other ~85 are unchanged;</li>
 * <li>{@code new}: 100 jobs never seen before, all finished (a first scan, or a burst);</li>
 * <li>{@code unchanged}: the same 100 jobs again.</li>
 * </ul>
 * Each job's JSON is rendered once per change and pages are joined from those pieces, so building a
 * page costs little next to processing it (PageFeedBenchmark measures how little).
 */
public final class PageFeed {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final Duration CYCLE = Duration.ofSeconds(5);

    private static final class Job {
        final String id;
        final String targetId;
        final String type;
        final Instant createdAt;
        final Map<String, Object> metadata;
        String status = "PENDING";
        int progress;
        String error;
        Instant startedAt;
        Instant completedAt;
        Instant updatedAt;
        String json;

        Job(String id, String targetId, String type, Instant createdAt, Map<String, Object> metadata) {
            this.id = id;
            this.targetId = targetId;
            this.type = type;
            this.createdAt = createdAt;
            this.updatedAt = createdAt;
            this.metadata = metadata;
        }

        boolean active() {
            return "PENDING".equals(status) || "IN_PROGRESS".equals(status);
        }
    }

    private final String mix;
    private final Random random;
    private final List<Job> page = new ArrayList<>();
    private Instant clock = Instant.now().minus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    private long counter;
    private boolean first = true;
    private String unchanged;

    public PageFeed(String mix, long seed) {
        if (!List.of("steady", "new", "unchanged").contains(mix)) {
            throw new IllegalArgumentException("mix is steady, new or unchanged, not " + mix);
        }
        this.mix = mix;
        this.random = new Random(seed);
        if (!mix.equals("new")) {
            for (int i = 0; i < 100; i++) {
                Job job = newJob(clock.minusMillis(i * 1_667L));
                if (i >= 3 && i < 63) {
                    start(job);
                    job.progress = 5 * random.nextInt(19);
                } else if (i >= 63) {
                    start(job);
                    finish(job);
                }
                page.add(job);
            }
        }
    }

    /** The page of the next cycle. */
    public String next() {
        if (mix.equals("unchanged")) {
            if (unchanged == null) {
                unchanged = render();
            }
            return unchanged;
        }
        if (first) {
            first = false;
            if (mix.equals("steady")) {
                return render();
            }
        }
        clock = clock.plus(CYCLE);
        return mix.equals("new") ? freshPage() : steadyPage();
    }

    private String steadyPage() {
        // 3 arrive on top and 3 leave at the bottom; a job leaves only after a page showed it finished
        for (int i = 0; i < 3; i++) {
            page.remove(page.size() - 1);
            page.add(0, newJob(clock.plusMillis(i)));
        }
        int finished = 0;
        for (int i = page.size() - 3; i < page.size(); i++) {
            if (page.get(i).active()) {
                finish(page.get(i));
                finished++;
            }
        }
        List<Job> running = new ArrayList<>();
        for (int i = 0; i < page.size() - 3; i++) {
            if ("IN_PROGRESS".equals(page.get(i).status)) {
                running.add(page.get(i));
            }
        }
        while (finished < 3 && !running.isEmpty()) {
            finish(running.remove(random.nextInt(running.size())));
            finished++;
        }
        for (Job job : page) {
            if ("PENDING".equals(job.status) && job.createdAt.isBefore(clock)) {
                start(job);
                running.add(job);
            }
        }
        for (int i = 0; i < 6 && !running.isEmpty(); i++) {
            Job job = running.get(random.nextInt(running.size()));
            int next = Math.min(95, job.progress + 5 * (1 + random.nextInt(4)));
            if (next != job.progress) {
                job.progress = next;
                touch(job);
            }
        }
        return render();
    }

    private String freshPage() {
        page.clear();
        for (int i = 0; i < 100; i++) {
            Job job = newJob(clock.minusMillis(i));
            start(job);
            finish(job);
            page.add(job);
        }
        return render();
    }

    private Job newJob(Instant createdAt) {
        String type = JobKinds.type(random);
        long n = counter++;
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("fileName", "rapport-" + n + ".pdf");
        metadata.put("fileSize", 20_000 + random.nextInt(20_000_000));
        metadata.put("pageCount", 1 + random.nextInt(220));
        return new Job(String.format("cm4job%019d", n), String.format("cm4tgt%019d", n), type, createdAt, metadata);
    }

    private void start(Job job) {
        job.status = "IN_PROGRESS";
        job.progress = 0;
        job.startedAt = clock;
        touch(job);
    }

    private void finish(Job job) {
        boolean retriable = job.type.equals("EXTRACTION") || job.type.equals("EMBEDDING");
        boolean fails = random.nextDouble() < (retriable ? 0.25 : 0.10);
        job.status = fails ? "ERROR" : "DONE";
        job.progress = fails ? job.progress : 100;
        job.error = fails ? "PDF parsing failed: corrupted xref table" : null;
        job.completedAt = clock;
        touch(job);
    }

    private void touch(Job job) {
        job.updatedAt = clock;
        job.json = null;
    }

    private String render() {
        StringBuilder text = new StringBuilder(64 * 1024).append("{\"success\":true,\"data\":[");
        for (int i = 0; i < page.size(); i++) {
            Job job = page.get(i);
            if (job.json == null) {
                job.json = json(job);
            }
            text.append(i == 0 ? "" : ",").append(job.json);
        }
        return text.append("]}").toString();
    }

    private static String json(Job job) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", job.id);
        map.put("userId", "cm4userbench0000000");
        map.put("targetId", job.targetId);
        map.put("type", job.type);
        map.put("status", job.status);
        map.put("progress", job.progress);
        map.put("metadata", job.metadata);
        if (job.error != null) {
            map.put("error", job.error);
        }
        if (job.startedAt != null) {
            map.put("startedAt", TIMESTAMP.format(job.startedAt));
        }
        if (job.completedAt != null) {
            map.put("completedAt", TIMESTAMP.format(job.completedAt));
        }
        map.put("createdAt", TIMESTAMP.format(job.createdAt));
        map.put("updatedAt", TIMESTAMP.format(job.updatedAt));
        try {
            return JSON.writeValueAsString(map);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
