package devana.jobs.poll;

import devana.jobs.client.ApiBudget;
import devana.jobs.pacing.ExponentialBackoff;
import devana.jobs.state.AccountActivity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * When an account's poll route, ticking every devana.poll.interval, sends a cycle: the API budget is spent only
 * on what may have changed.
 * <ul>
 * <li><b>Busy</b> (a job of the account is pending or running, or something changed since the last cycle): every
 * tick.</li>
 * <li><b>Idle</b> (nothing active, nothing changed): the wait doubles after each quiet cycle, from the interval up to
 * devana.poll.idle-interval, and is back to the interval at the first change, new job or push.</li>
 * <li><b>Push first</b> (pushes keep coming: two accepted within devana.poll.push-safety-interval of each other, the
 * last one within it too): the pushes are the detection, and a cycle comes every push-safety-interval as a safety
 * net; once no push came for that long, the account is paced as busy or idle again.</li>
 * </ul>
 * A tick that sends nothing still tells the budget that the poll runs here (this instance leads the account).
 */
public final class PollPacing {

    private final String account;
    private final AccountActivity activity;
    private final ApiBudget budget;
    private final Clock clock;
    private final Duration interval;
    private final Duration pushSafety;
    private final ExponentialBackoff idle;
    private volatile Instant lastCycle;
    private volatile int quietCycles;

    public PollPacing(String account, AccountActivity activity, ApiBudget budget, Clock clock, Duration interval,
                      Duration idleInterval, Duration pushSafety) {
        this.account = account;
        this.activity = activity;
        this.budget = budget;
        this.clock = clock;
        this.interval = interval;
        this.pushSafety = pushSafety;
        this.idle = ExponentialBackoff.exact(interval, idleInterval);
    }

    /** Whether this tick sends nothing (the poll route then stops); false begins a cycle. */
    public boolean waits() {
        Instant now = clock.instant();
        budget.pollTicked();
        Instant last = lastCycle;
        if (last == null) {
            return false;
        }
        // a tick comes up to half an interval early or late: the cycle goes at the tick nearest its time
        return now.isBefore(last.plus(wait(now, last)).minus(interval.dividedBy(2)));
    }

    /** How long after the cycle that began at {@code last} the next one is due. */
    Duration wait(Instant now, Instant last) {
        if (pushesKeepComing(now)) {
            return pushSafety;
        }
        Instant change = activity.lastChange(account);
        if (change != null && change.isAfter(last)) {
            // a change since the last cycle began (seen by it, or pushed since): back to the interval
            quietCycles = 0;
        }
        return idle.after(quietCycles + 1);
    }

    /** Called when a cycle begins. */
    public void began() {
        lastCycle = clock.instant();
    }

    /**
     * Called when a cycle ended with {@code active} jobs of the account pending or running (its changes are recorded
     * after this, and seen by the next tick).
     */
    public void ended(int active) {
        quietCycles = active > 0 ? 0 : Math.min(quietCycles + 1, 30);
    }

    /** Whether the account is in push-first mode now. */
    public boolean pushesKeepComing(Instant now) {
        Instant lastPush = activity.lastPush(account);
        Instant before = activity.pushBeforeLast(account);
        return lastPush != null && before != null && lastPush.isAfter(now.minus(pushSafety))
                && !before.isBefore(lastPush.minus(pushSafety));
    }
}
