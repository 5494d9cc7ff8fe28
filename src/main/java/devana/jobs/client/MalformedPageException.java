package devana.jobs.client;

/** A 200 answer of GET /v1/jobs that is not {"success": true, "data": [...]}: the cycle is abandoned. */
public class MalformedPageException extends RuntimeException {
    public MalformedPageException(String message) {
        super(message);
    }

    public MalformedPageException(String message, Throwable cause) {
        super(message, cause);
    }
}
