package devana.jobs.config;

import devana.jobs.contract.AccountName;

/**
 * One Devana account of devana.accounts as configured: its base URL (null: an embedded emulator of its own), its
 * API key and its webhook secret (null: its webhook answers 503). The default account's are today's keys
 * (devana.base-url, DEVANA_API_KEY, DEVANA_WEBHOOK_SECRET); another account's are
 * devana.accounts.NAME.base-url (unset: the default's) and, from the environment, DEVANA_ACCOUNTS_NAME_API_KEY
 * and DEVANA_ACCOUNTS_NAME_WEBHOOK_SECRET.
 */
public record AccountSettings(String name, String baseUrl, String apiKey, String webhookSecret) {

    public boolean embedded() {
        return baseUrl == null;
    }

    public boolean isDefault() {
        return AccountName.DEFAULT.equals(name);
    }

    /** The key holding this account's {@code part} (base-url, api-key, webhook-secret). */
    public static String key(String name, String part) {
        if (AccountName.DEFAULT.equals(name)) {
            return switch (part) {
                case "base-url" -> "devana.base-url";
                case "api-key" -> "devana.api-key";
                case "webhook-secret" -> "devana.webhook.secret";
                default -> throw new IllegalArgumentException(part);
            };
        }
        return "devana.accounts." + name + "." + part;
    }

    public AccountSettings withApi(String url, String key) {
        return new AccountSettings(name, url, key, webhookSecret);
    }

    @Override
    public String toString() {
        return "AccountSettings[" + name + ", " + (baseUrl == null ? "embedded emulator" : baseUrl) + ", apiKey="
                + (apiKey == null ? "none" : "****") + ", webhookSecret=" + (webhookSecret == null ? "none" : "****") + "]";
    }
}
