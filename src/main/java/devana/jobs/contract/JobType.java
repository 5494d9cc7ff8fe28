package devana.jobs.contract;

import java.util.List;

/** The job types the API documents, and the two it has a retry call for (docs/jobs-api.md). */
public final class JobType {

    public static final String EXTRACTION = "EXTRACTION";
    public static final String EMBEDDING = "EMBEDDING";

    public static final List<String> KNOWN =
            List.of(EXTRACTION, EMBEDDING, "SYNC", "IMPORT", "TRANSCRIPTION", "GENERATION");

    private JobType() {
    }

    public static boolean isKnown(String type) {
        return type != null && KNOWN.contains(type);
    }

    /** EXTRACTION (reextract) and EMBEDDING (reindex): the types a failed job of can be retried. */
    public static boolean hasRetryCall(String type) {
        return EXTRACTION.equals(type) || EMBEDDING.equals(type);
    }
}
