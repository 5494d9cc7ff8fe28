package devana.jobs.client;

import java.io.IOException;

/**
 * A call to the Devana API that was not sent: its share of the budget is spent for this minute, or every
 * call is paused (a 429's Retry-After, a backoff). Nothing reached the API; the caller tries later.
 */
public final class BudgetSpentException extends IOException {

    public BudgetSpentException(String message) {
        super(message);
    }
}
