package devana.emulator;

import devana.jobs.contract.JobStatus;
import devana.jobs.contract.JobType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Everything random about the emulator, derived from one seed: ids, metadata, durations, failures,
 * the initial jobs and the arrivals of new ones.
 */
final class Workload {

    static final List<String> TYPES = JobType.KNOWN;

    private record Profile(int weight, int minSeconds, int maxSeconds, double failureRate, String targetPrefix,
                           List<String> errors) {
    }

    private static final Map<String, Profile> PROFILES = Map.of(
            "EXTRACTION", new Profile(35, 5, 300, 0.25, "cm4doc", List.of(
                    "PDF parsing failed: corrupted xref table",
                    "Unsupported file format: application/x-msaccess",
                    "OCR timeout after 300s on page 37",
                    "File too large: 104857600 bytes exceeds the 50 MB limit")),
            "EMBEDDING", new Profile(25, 10, 600, 0.25, "cm4folder", List.of(
                    "Embedding provider returned 429: rate limit exceeded",
                    "Chunking failed: document has no extractable text",
                    "Vector store write timed out after 30000 ms")),
            "SYNC", new Profile(10, 60, 1800, 0.10, "cm4folder", List.of(
                    "SharePoint authentication expired: refresh token revoked",
                    "Remote folder not found: /sites/Finance/Shared Documents",
                    "Google Drive API unavailable: 503 backend error")),
            "IMPORT", new Profile(10, 30, 900, 0.10, "cm4src", List.of(
                    "CSV import failed: invalid UTF-8 sequence at line 1284",
                    "Archive extraction failed: zip entry exceeds the size limit")),
            "TRANSCRIPTION", new Profile(10, 10, 300, 0.10, "cm4doc", List.of(
                    "Audio decoding failed: unsupported codec in mp4 container",
                    "Speech-to-text provider timed out after 120 s")),
            "GENERATION", new Profile(10, 5, 120, 0.10, "cm4doc", List.of(
                    "LLM context window exceeded: 131072 tokens",
                    "Generation aborted: upstream model returned an empty completion")));

    private static final Profile UNKNOWN = new Profile(0, 5, 120, 0.10, "cm4src",
            List.of("Job failed: internal worker error"));

    private static final String BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final String OPENXML = "application/vnd.openxmlformats-officedocument.";
    private static final int HISTORICAL_JOBS = 40;
    private static final int ACTIVE_JOBS = 8;

    private final double speed;
    /** Initial jobs and arrivals: used at start and then by the ticker thread only. */
    private final Random scenario;
    /** Jobs created through the Java API and the retry endpoints. */
    private final Random onDemand;
    private final Random retryOutcomes;
    private final String userId;
    private Instant nextArrival;

    Workload(long seed, double speed) {
        this.speed = speed;
        this.scenario = new Random(seed);
        this.onDemand = new Random(seed + 1);
        this.retryOutcomes = new Random(seed + 2);
        this.userId = "cm4user" + base36(scenario, 10);
    }

    String userId() {
        return userId;
    }

    String newJobId() {
        return jobId(onDemand);
    }

    String newTargetId(String type) {
        return targetId(type, onDemand);
    }

    /** The seeded default: about 60 % of retries succeed. */
    RetryOutcome defaultRetryOutcome(String targetId, String type) {
        return retryOutcomes.nextDouble() < 0.6 ? RetryOutcome.SUCCEED : RetryOutcome.FAIL;
    }

    EmulatedJob retryJob(String targetId, String type, RetryOutcome outcome, Map<String, Object> knownMetadata,
                         Instant now) {
        EmulatedJob job = new EmulatedJob(jobId(onDemand), userId, targetId, type, JobStatus.PENDING, now);
        job.metadata = knownMetadata != null ? knownMetadata : metadata(type, onDemand);
        if (outcome != RetryOutcome.STAY_PENDING) {
            job.plan = plan(type, now.plusMillis(pendingMillis(onDemand)), outcome == RetryOutcome.FAIL, onDemand);
        }
        return job;
    }

    /**
     * A past day of activity: finished jobs spread over 23 h (with at least one failed EXTRACTION, EMBEDDING
     * and SYNC), a few that are killed or too old to be listed, and jobs running now. Oldest first.
     */
    List<EmulatedJob> initialJobs(Instant now) {
        List<EmulatedJob> jobs = new ArrayList<>();
        List<String> guaranteedFailures = List.of("EXTRACTION", "EMBEDDING", "SYNC");
        for (int i = 0; i < HISTORICAL_JOBS; i++) {
            String type = i < guaranteedFailures.size() ? guaranteedFailures.get(i) : randomType(scenario);
            boolean fails = i < guaranteedFailures.size() || scenario.nextDouble() < profile(type).failureRate();
            jobs.add(finished(type, fails, ago(now, 5 * 60, 23 * 3600), now));
        }
        for (int i = 0; i < 2; i++) {
            EmulatedJob killed = finished(randomType(scenario), false, ago(now, 5 * 60, 10 * 3600), now);
            killed.status = JobStatus.KILLED;
            jobs.add(killed);
        }
        for (int i = 0; i < 3; i++) {
            jobs.add(finished(randomType(scenario), false, ago(now, 24 * 3600 + 300, 30 * 3600), now));
        }
        for (int i = 0; i < ACTIVE_JOBS; i++) {
            jobs.add(active(i % 2 == 0, now));
        }
        jobs.sort(Comparator.comparing(job -> job.createdAt));
        nextArrival = now.plusMillis(arrivalGapMillis());
        return jobs;
    }

    /** A new job when one is due and there is room for it, else null. */
    EmulatedJob arrival(Instant now, int visibleJobs, int maxVisibleJobs) {
        if (nextArrival == null || now.isBefore(nextArrival)) {
            return null;
        }
        nextArrival = now.plusMillis(arrivalGapMillis());
        if (visibleJobs >= maxVisibleJobs) {
            return null;
        }
        String type = randomType(scenario);
        EmulatedJob job = newJob(type, JobStatus.PENDING, now, scenario);
        boolean fails = scenario.nextDouble() < profile(type).failureRate();
        job.plan = plan(type, now.plusMillis(pendingMillis(scenario)), fails, scenario);
        return job;
    }

    private EmulatedJob finished(String type, boolean fails, Instant createdAt, Instant now) {
        EmulatedJob job = newJob(type, fails ? JobStatus.ERROR : JobStatus.DONE, createdAt, scenario);
        long runMillis = typicalRunMillis(type, scenario);
        int reached = fails ? failurePoint(scenario) : 100;
        Instant latest = now.minusSeconds(10);
        Instant startedAt = min(createdAt.plusMillis(500 + scenario.nextInt(20_000)), latest);
        job.startedAt = startedAt;
        job.completedAt = min(startedAt.plusMillis(runMillis * reached / 100), latest);
        job.updatedAt = job.completedAt;
        job.progress = reached;
        job.error = fails ? errorMessage(type, scenario) : null;
        return job;
    }

    /** A job queued or running now; nothing changes during the first 2 s, so two same-seed emulators agree. */
    private EmulatedJob active(boolean pending, Instant now) {
        String type = randomType(scenario);
        boolean fails = scenario.nextDouble() < profile(type).failureRate();
        EmulatedJob job;
        Instant startAt;
        if (pending) {
            job = newJob(type, JobStatus.PENDING, now.minusMillis(scenario.nextInt(2_000)), scenario);
            startAt = now.plusMillis(2_000 + scenario.nextInt(3_000));
        } else {
            job = newJob(type, JobStatus.IN_PROGRESS, now.minusMillis(3_000 + scenario.nextInt(20_000)), scenario);
            startAt = job.createdAt.plusMillis(1_000 + scenario.nextInt(2_000));
            job.startedAt = startAt;
        }
        job.plan = plan(type, startAt, fails, scenario).endingNoSoonerThan(now.plusSeconds(3));
        job.advance(now);
        job.updatedAt = pending ? job.createdAt : now;
        return job;
    }

    private EmulatedJob newJob(String type, String status, Instant createdAt, Random random) {
        EmulatedJob job = new EmulatedJob(jobId(random), userId, targetId(type, random), type, status, createdAt);
        job.metadata = metadata(type, random);
        return job;
    }

    private EmulatedJob.Plan plan(String type, Instant startAt, boolean fails, Random random) {
        long runMillis = Math.max(2_000, (long) (typicalRunMillis(type, random) / speed));
        if (!fails) {
            return new EmulatedJob.Plan(startAt, startAt.plusMillis(runMillis), 100, null);
        }
        int reached = failurePoint(random);
        return new EmulatedJob.Plan(startAt, startAt.plusMillis(Math.max(2_000, runMillis * reached / 100)), reached,
                errorMessage(type, random));
    }

    /** 1-3 s in the queue at the default speed, shorter when the emulator runs faster. */
    private long pendingMillis(Random random) {
        return Math.max(200, (long) ((1_000 + random.nextInt(2_001)) * Math.min(1.0, 30 / speed)));
    }

    private long arrivalGapMillis() {
        return 2_000 + scenario.nextInt(2_001);
    }

    Map<String, Object> metadata(String type, Random random) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (type) {
            case "EXTRACTION" -> {
                String[] format = pick(random, List.of(
                        new String[] {"pdf", "application/pdf"},
                        new String[] {"docx", OPENXML + "wordprocessingml.document"},
                        new String[] {"pptx", OPENXML + "presentationml.presentation"}));
                m.put("fileName", pick(random, List.of("rapport-annuel-2024", "contrat-fournisseur", "notice-technique",
                        "compte-rendu-comite", "cahier-des-charges", "procedure-qualite")) + "." + format[0]);
                m.put("fileSize", 20_000 + random.nextInt(20_000_000));
                m.put("mimeType", format[1]);
                m.put("pageCount", 1 + random.nextInt(220));
                m.put("extractionMethod", "ODIN");
            }
            case "EMBEDDING" -> {
                int files = 1 + random.nextInt(80);
                m.put("folderName", pick(random, List.of("Documentation", "Knowledge Base", "Juridique",
                        "Ressources Humaines", "Support Client", "Produit")));
                m.put("filesProcessed", files);
                m.put("totalChunks", files * (10 + random.nextInt(50)));
                m.put("chunkSize", 500);
                m.put("model", "text-embedding-ada-002");
            }
            case "SYNC" -> {
                m.put("provider", pick(random, List.of("SharePoint", "Google Drive", "OneDrive", "Dropbox")));
                m.put("folderName", pick(random, List.of("Finance", "Contrats", "Marketing", "Direction")));
                m.put("filesScanned", 10 + random.nextInt(500));
                m.put("filesChanged", random.nextInt(40));
            }
            case "IMPORT" -> {
                m.put("source", pick(random, List.of("zip-upload", "csv", "url-crawl", "s3")));
                m.put("fileCount", 1 + random.nextInt(300));
                m.put("totalSize", 100_000 + random.nextInt(500_000_000));
            }
            case "TRANSCRIPTION" -> {
                m.put("fileName",
                        pick(random, List.of("reunion-equipe", "interview-client", "webinaire-produit")) + ".mp3");
                m.put("mimeType", "audio/mpeg");
                m.put("durationSeconds", 30 + random.nextInt(3_600));
                m.put("language", pick(random, List.of("fr", "en")));
            }
            case "GENERATION" -> {
                m.put("kind", pick(random, List.of("summary", "report", "faq", "translation")));
                m.put("model", "gpt-4o");
                m.put("sourceDocuments", 1 + random.nextInt(12));
                m.put("outputTokens", 200 + random.nextInt(4_000));
            }
            default -> {
                return null;
            }
        }
        return m;
    }

    private String targetId(String type, Random random) {
        String prefix = profile(type).targetPrefix();
        return prefix + base36(random, 25 - prefix.length());
    }

    private static String jobId(Random random) {
        return "cm4job" + base36(random, 16);
    }

    private static String randomType(Random random) {
        int roll = random.nextInt(100);
        for (String type : TYPES) {
            roll -= PROFILES.get(type).weight();
            if (roll < 0) {
                return type;
            }
        }
        return TYPES.get(0);
    }

    private static Profile profile(String type) {
        return PROFILES.getOrDefault(type, UNKNOWN);
    }

    private static String errorMessage(String type, Random random) {
        return pick(random, profile(type).errors());
    }

    private static int failurePoint(Random random) {
        return 5 * (1 + random.nextInt(18));
    }

    private Instant ago(Instant now, long minSeconds, long maxSeconds) {
        return now.minusMillis(millisBetween(scenario, minSeconds, maxSeconds));
    }

    private static long typicalRunMillis(String type, Random random) {
        return millisBetween(random, profile(type).minSeconds(), profile(type).maxSeconds());
    }

    private static long millisBetween(Random random, long minSeconds, long maxSeconds) {
        return (long) ((minSeconds + random.nextDouble() * (maxSeconds - minSeconds)) * 1_000);
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static String base36(Random random, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(BASE36.charAt(random.nextInt(BASE36.length())));
        }
        return sb.toString();
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
