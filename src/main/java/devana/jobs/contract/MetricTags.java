package devana.jobs.contract;

/**
 * Metric tag values taken from data (the API's answers, webhook pushes): the values the API documents as
 * they are, anything else {@value #OTHER}. A tag value is a time series; one per value a stranger invents
 * would grow the registry and every scrape without end.
 */
public final class MetricTags {

    public static final String OTHER = "OTHER";

    private MetricTags() {
    }

    public static String jobType(String type) {
        return JobType.isKnown(type) ? type : OTHER;
    }

    public static String status(String status) {
        return JobStatus.isKnown(status) ? status : OTHER;
    }

    /** An HTTP status as its number when it is one (100..599), else OTHER. */
    public static String httpStatus(int code) {
        return code >= 100 && code <= 599 ? String.valueOf(code) : OTHER;
    }
}
