package devana.jobs.state;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each account last had a change (a new job, a new status or progress, by poll or push) and its last two
 * accepted pushes: what its poll's pacing judges by (PollPacing). Written by {@link JobLedger}, the one place
 * that decides whether an observation changed anything.
 */
public final class AccountActivity {

    private final Map<String, Instant> lastChange = new ConcurrentHashMap<>();
    private final Map<String, Instant[]> lastPushes = new ConcurrentHashMap<>();

    void changed(String account, Instant at) {
        lastChange.merge(account, at, (old, now) -> now.isAfter(old) ? now : old);
    }

    void pushed(String account, Instant at) {
        lastPushes.compute(account, (name, pushes) -> pushes == null ? new Instant[] {null, at} : new Instant[] {pushes[1], at});
    }

    /** The account's last change, or null. */
    public Instant lastChange(String account) {
        return lastChange.get(account);
    }

    /** The account's last accepted push, or null. */
    public Instant lastPush(String account) {
        Instant[] pushes = lastPushes.get(account);
        return pushes == null ? null : pushes[1];
    }

    /** The push before the account's last one, or null. */
    public Instant pushBeforeLast(String account) {
        Instant[] pushes = lastPushes.get(account);
        return pushes == null ? null : pushes[0];
    }
}
