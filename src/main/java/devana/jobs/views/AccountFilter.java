package devana.jobs.views;

import java.util.List;
import java.util.Map;

/**
 * The {@code account} parameter of /api/stats and /api/jobs: absent, every account's rows; else the name of one of
 * the accounts this deployment serves (devana.accounts), compared with them and never used otherwise.
 */
public final class AccountFilter {

    private final List<String> accounts;

    public AccountFilter(List<String> accounts) {
        this.accounts = List.copyOf(accounts);
    }

    /** The accounts served, in devana.accounts' order. */
    public List<String> accounts() {
        return accounts;
    }

    /** The account the query asks for, or null for all of them; a name none of ours is refused. */
    public String of(Map<String, String> query) throws Refused {
        String asked = query.get("account");
        if (asked == null) {
            return null;
        }
        for (String account : accounts) {
            if (account.equals(asked)) {
                return account;
            }
        }
        throw new Refused("account must be one of " + String.join(", ", accounts));
    }

    /** An account parameter that names no account of this deployment. */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }
}
