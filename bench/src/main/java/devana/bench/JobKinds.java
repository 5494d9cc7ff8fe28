package devana.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The job types of the vendor page with the shares and failure rates the project's emulator uses
 * (EXTRACTION 35 %, EMBEDDING 25 %, four others 10 % each; 25 % of extractions and embeddings fail,
 * 10 % of the rest), and metadata shaped like the page's examples. Every draw comes from the caller's
 * seeded Random, so two workloads built from the same seed are identical.
 */
public final class JobKinds {

    static final List<String> TYPES = List.of("EXTRACTION", "EMBEDDING", "SYNC", "IMPORT", "TRANSCRIPTION", "GENERATION");
    private static final int[] WEIGHTS = {35, 25, 10, 10, 10, 10};
    private static final String BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

    private JobKinds() {
    }

    public static String type(Random random) {
        int roll = random.nextInt(100);
        for (int i = 0; i < TYPES.size(); i++) {
            roll -= WEIGHTS[i];
            if (roll < 0) {
                return TYPES.get(i);
            }
        }
        return TYPES.get(0);
    }

    /** Whether a job of this type that finishes now fails (consumes one draw whatever the type). */
    static boolean fails(String type, Random random) {
        double rate = retriable(type) ? 0.25 : 0.10;
        return random.nextDouble() < rate;
    }

    /** The types the API has a retry call for. */
    static boolean retriable(String type) {
        return "EXTRACTION".equals(type) || "EMBEDDING".equals(type);
    }

    static String id(String prefix, Random random) {
        StringBuilder sb = new StringBuilder(prefix);
        while (sb.length() < 25) {
            sb.append(BASE36.charAt(random.nextInt(BASE36.length())));
        }
        return sb.toString();
    }

    static String targetPrefix(String type) {
        return switch (type) {
            case "EMBEDDING", "SYNC" -> "cm4folder";
            case "IMPORT" -> "cm4src";
            default -> "cm4doc";
        };
    }

    static String error(String type) {
        return switch (type) {
            case "EXTRACTION" -> "PDF parsing failed: corrupted xref table";
            case "EMBEDDING" -> "Vector store write timed out after 30000 ms";
            default -> "Job failed: internal worker error";
        };
    }

    static Map<String, Object> metadata(String type, Random random) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (type) {
            case "EXTRACTION" -> {
                m.put("fileName", "rapport-" + (2000 + random.nextInt(25)) + ".pdf");
                m.put("fileSize", 20_000 + random.nextInt(20_000_000));
                m.put("mimeType", "application/pdf");
                m.put("pageCount", 1 + random.nextInt(220));
                m.put("extractionMethod", "ODIN");
            }
            case "EMBEDDING" -> {
                int files = 1 + random.nextInt(80);
                m.put("folderName", "Documentation");
                m.put("filesProcessed", files);
                m.put("totalChunks", files * (10 + random.nextInt(50)));
                m.put("chunkSize", 500);
                m.put("model", "text-embedding-ada-002");
            }
            case "SYNC" -> {
                m.put("provider", "SharePoint");
                m.put("filesScanned", 10 + random.nextInt(500));
            }
            case "IMPORT" -> m.put("fileCount", 1 + random.nextInt(300));
            case "TRANSCRIPTION" -> m.put("durationSeconds", 30 + random.nextInt(3_600));
            default -> m.put("outputTokens", 200 + random.nextInt(4_000));
        }
        return m;
    }
}
