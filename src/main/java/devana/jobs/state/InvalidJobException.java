package devana.jobs.state;

/** A job from the API (or a webhook) that cannot be tracked; it is skipped, counted and logged. */
public class InvalidJobException extends RuntimeException {
    public InvalidJobException(String message) {
        super(message);
    }
}
