package devana.jobs.config;

import devana.jobs.contract.AccountName;
import java.util.List;
import org.apache.camel.builder.RouteBuilder;

/**
 * The routes of each account of devana.accounts, made from the route templates of {@code routes/} (poll.camel.yaml,
 * retry.camel.yaml, webhook.camel.yaml): what a {@code templatedRoute} in YAML would say for each account, written
 * once here because the list of accounts is configuration, not a route file. Camel Main adds templated routes after
 * every route file's templates, so these find theirs. The default account's routes keep the ids of the single-account
 * releases; another account's end in {@code -<account>}, and the ids of their steps start with {@code <account>-}.
 */
public final class AccountRoutes extends RouteBuilder {

    /** The path of the default account's pushes in the single-account releases; it stays the default account's. */
    public static final String DEFAULT_WEBHOOK_PATH = "/webhook/job-status";

    private final List<AccountSettings> accounts;

    public AccountRoutes(List<AccountSettings> accounts) {
        this.accounts = List.copyOf(accounts);
    }

    /** Where an account's webhook pushes are posted (the one its emulator pushes to in the embedded default). */
    public static String webhookPath(String account) {
        return AccountName.DEFAULT.equals(account) ? DEFAULT_WEBHOOK_PATH : DEFAULT_WEBHOOK_PATH + "/" + account;
    }

    @Override
    public void configure() {
        for (AccountSettings account : accounts) {
            String name = account.name();
            String suffix = account.isDefault() ? "" : "-" + name;
            String prefix = account.isDefault() ? null : name + "-";
            // the poll is made first: the first route of the account's leadership group to start on its leader
            templatedRoute("poll-one-devana-account").routeId("poll-devana-jobs-every-interval" + suffix).prefixId(prefix)
                    .parameter("account", name).parameter("baseUrl", account.baseUrl());
            templatedRoute("resend-the-retry-requests-of-an-account")
                    .routeId("resend-retry-requests-that-did-not-go-through" + suffix).prefixId(prefix)
                    .parameter("account", name);
            templatedRoute("post-the-retry-request-of-an-account").routeId("post-the-retry-request-to-the-devana-api" + suffix)
                    .prefixId(prefix).parameter("account", name).parameter("baseUrl", account.baseUrl());
            templatedRoute("look-for-a-retry-already-accepted-of-an-account")
                    .routeId("look-for-a-retry-already-accepted" + suffix).prefixId(prefix)
                    .parameter("account", name).parameter("baseUrl", account.baseUrl());
            templatedRoute("receive-the-webhooks-of-an-account").routeId("receive-job-status-webhooks-" + name)
                    .prefixId(name + "-push-").parameter("account", name).parameter("path", DEFAULT_WEBHOOK_PATH + "/" + name);
            if (account.isDefault()) {
                templatedRoute("receive-the-webhooks-of-an-account").routeId("receive-job-status-webhooks")
                        .parameter("account", name).parameter("path", DEFAULT_WEBHOOK_PATH);
            }
        }
    }
}
